// The password service (`tandem mail serve password`): poppassd on port 106 style.
// poppassd has no STARTTLS, so the password crosses the network in the clear unless
// the listener speaks implicit TLS (password.implicitTls). A cleartext listener serves
// only the networks in password.plaintextNetworks (loopback by default: a webmail on
// the same host); everyone else is refused before sending a password.
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { MailContext, RunningService } from '../core/context.ts';
import { listen, closeServer, ConnectionLimiter } from '../serve/listeners.ts';
import { inAnyNetwork, normalizeIp, parseCidr } from '../../lib/cidr.ts';
import { Pop3Connection } from '../pop3/server/connection.ts';
import { LoginThrottle } from '../../lib/login-throttle.ts';
import { formatReply } from './proto/command.ts';
import { runPasswordSession, type PasswordSessionDeps } from './session.ts';

export interface PasswordService extends RunningService {
  readonly port: number | null;
}

/** Long enough for a 1024-character password plus the verb. */
const MAX_LINE_BYTES = 2048;
const IDLE_TIMEOUT_MS = 120_000;
const CLOSE_GRACE_MS = 3000;

export async function startPasswordService(ctx: MailContext): Promise<PasswordService> {
  const { settings, log, directory } = ctx;
  const cfg = settings.password;
  const limits = settings.limits;
  const plaintextNets = cfg.plaintextNetworks.map(parseCidr);
  const deps: PasswordSessionDeps = {
    hostname: settings.hostname,
    authenticate: (a, p) => directory.authenticate(a, p),
    setPassword: (a, p) => directory.setPassword(a, p),
    throttle: new LoginThrottle({
      maxFailuresPerIp: settings.auth.maxFailuresPerIp,
      maxFailuresPerUser: settings.auth.maxFailuresPerUser,
      windowMs: settings.auth.failureWindowSeconds * 1000,
    }),
    minLength: cfg.minLength,
    maxBadCommands: 5,
    log,
  };

  const limiter = new ConnectionLimiter(limits);
  // poppassd clients show the text as is: a sentence.
  const admit = (socket: Socket): string | null => {
    const why = limiter.admit(socket);
    return why === null ? null : `${why[0]!.toUpperCase()}${why.slice(1)}; try again later.`;
  };
  const sessions = new Set<{ conn: Pop3Connection; done: Promise<void> }>();

  function start(socket: Socket, secure: boolean): void {
    socket.on('error', () => undefined);
    socket.setNoDelay(true);
    const ip = normalizeIp(socket.remoteAddress ?? 'unknown');
    if (!secure && !inAnyNetwork(plaintextNets, ip)) {
      log.warn({ event: 'password.connection.refused', ip, reason: 'cleartext' });
      socket.end(formatReply({ code: 500, text: `Cleartext password changes are not accepted from ${ip}; use the webmail or a TLS connection.` }));
      return;
    }
    const conn = new Pop3Connection(socket, { secure, maxLineBytes: MAX_LINE_BYTES, idleTimeoutMs: IDLE_TIMEOUT_MS });
    const entry = { conn, done: runPasswordSession(conn, ip, deps).catch((e: unknown) => log.error({ event: 'password.session.crashed', ip, error: (e as Error).stack })) };
    sessions.add(entry);
    void entry.done.finally(() => sessions.delete(entry));
  }

  const host = cfg.bindAddress ?? settings.listen.address;
  const listening: string[] = [];
  let server: Server | null = null;
  let port: number | null = null;
  if (settings.listen.password.port !== null) {
    if (cfg.implicitTls) {
      const tlsServer = createTlsServer({ cert: ctx.tls.cert, key: ctx.tls.key, handshakeTimeout: 30_000 });
      tlsServer.on('connection', (socket: Socket) => {
        if (admit(socket)) socket.destroy();
      });
      tlsServer.on('secureConnection', (socket) => start(socket, true));
      tlsServer.on('tlsClientError', (e) => log.info({ event: 'password.tls.handshake-failed', error: e.message }));
      server = tlsServer;
    } else {
      server = createServer((socket) => {
        socket.on('error', () => undefined);
        const refusal = admit(socket);
        if (refusal) {
          socket.end(formatReply({ code: 500, text: refusal }));
          return;
        }
        start(socket, false);
      });
    }
    port = await listen(server, settings.listen.password.port, host);
    listening.push(`${host}:${port}`);
  }
  log.info({ event: 'password.listening', listening, implicitTls: cfg.implicitTls });

  return {
    name: 'password',
    listening,
    port,
    async close() {
      limiter.shutDown();
      const stopped = server ? closeServer(server) : Promise.resolve();
      // A change in progress finishes (it is one SQLite commit); idle sessions end now.
      for (const { conn } of sessions) conn.requestShutdown();
      const all = Promise.all([...sessions].map((s) => s.done));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise<void>((resolve) => { timer = setTimeout(resolve, CLOSE_GRACE_MS); })]);
      clearTimeout(timer);
      limiter.destroyAll();
      await stopped;
      log.info({ event: 'password.closed' });
    },
  };
}
