// The pop3 service: a cleartext listener with STLS (port 110 style) and an implicit-TLS
// listener (port 995 style, RFC 8314), connection limits, and a graceful close, the drain
// of docs/switchover.md: every session ends with "-ERR [SYS/TEMP]" (RFC 3206) after its
// command in progress, without applying its deletions (RFC 1939 section 6), and new
// connections get "-ERR [SYS/TEMP]" instead of the greeting, for up to
// limits.drainTimeoutSeconds.
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, type SecureContext } from 'node:tls';
import type { MailContext, RunningService } from '../core/context.ts';
import { listen, closeServer, ConnectionLimiter } from '../serve/listeners.ts';
import { err, formatReply } from './proto/reply.ts';
import type { SessionDeps } from './server/command.ts';
import { Pop3Connection } from './server/connection.ts';
import { MailboxLocks } from './server/mailbox-lock.ts';
import { MaildirPop3Store } from './server/maildir-store.ts';
import { Pop3Session } from './server/session.ts';
import { LoginThrottle } from '../../lib/login-throttle.ts';
import type { Pop3Store } from './server/store.ts';

export interface Pop3Service extends RunningService {
  readonly ports: { pop3?: number; pop3s?: number };
}

/** Replaceable parts, for tests that inject storage faults; production uses the defaults. */
export interface Pop3ServiceOptions {
  readonly store?: Pop3Store;
}


export async function startPop3Service(ctx: MailContext, options: Pop3ServiceOptions = {}): Promise<Pop3Service> {
  const { settings, log } = ctx;
  const limits = settings.limits;
  let tls: SecureContext | null = null;
  try {
    tls = createSecureContext({ cert: ctx.tls.cert, key: ctx.tls.key });
  } catch (e) {
    log.error({ event: 'pop3.tls.unusable', error: (e as Error).message });
  }
  const deps: SessionDeps = {
    store: options.store ?? new MaildirPop3Store(ctx.layout),
    auth: ctx.directory,
    throttle: new LoginThrottle({
      maxFailuresPerIp: settings.auth.maxFailuresPerIp,
      maxFailuresPerUser: settings.auth.maxFailuresPerUser,
      windowMs: settings.auth.failureWindowSeconds * 1000,
    }),
    locks: new MailboxLocks(),
    tls,
    allowPlaintextOnLoopback: settings.auth.allowPlaintextOnLoopback,
    hostname: settings.hostname,
    limits: {
      maxLineBytes: limits.lineLengthBytes,
      idleTimeoutMs: limits.pop3IdleTimeoutSeconds * 1000,
      maxBadCommands: 10,
      maxAuthFailures: 3,
    },
    log,
  };

  const limiter = new ConnectionLimiter(limits);
  const admit = (socket: Socket): string | null => {
    const why = limiter.admit(socket);
    return why === null ? null : `${why}; try again later`;
  };
  const sessions = new Set<{ session: Pop3Session; done: Promise<void> }>();
  let draining = false;
  const drained = new Set<Socket>();
  /** A connection that arrives during the drain: -ERR [SYS/TEMP] instead of the greeting. */
  const refuseDrained = (socket: Socket): void => {
    log.info({ event: 'pop3.connect.drained', ip: socket.remoteAddress });
    drained.add(socket);
    socket.once('close', () => drained.delete(socket));
    socket.end(formatReply(err(`${settings.hostname} service moving to another server, try again shortly`, 'SYS/TEMP')));
  };

  function startSession(socket: Socket, secure: boolean): void {
    socket.setNoDelay(true);
    const conn = new Pop3Connection(socket, { secure, maxLineBytes: limits.lineLengthBytes, idleTimeoutMs: deps.limits.idleTimeoutMs });
    const session = new Pop3Session(conn, deps);
    const entry = { session, done: session.run() };
    sessions.add(entry);
    void entry.done.finally(() => sessions.delete(entry));
  }

  const listening: string[] = [];
  const servers: Server[] = [];
  const ports: { pop3?: number; pop3s?: number } = {};
  const host = settings.listen.address;

  if (settings.listen.pop3.port !== null) {
    const plain = createServer((socket) => {
      socket.on('error', () => undefined);
      if (draining) return refuseDrained(socket);
      const refusal = admit(socket);
      if (refusal) {
        log.warn({ event: 'pop3.connection.refused', ip: socket.remoteAddress, reason: refusal });
        socket.end(formatReply(err(refusal, 'SYS/TEMP')));
        return;
      }
      startSession(socket, false);
    });
    ports.pop3 = await listen(plain, settings.listen.pop3.port, host);
    servers.push(plain);
    listening.push(`${host}:${ports.pop3}`);
  }

  if (settings.listen.pop3s.port !== null && tls) {
    const secure = createTlsServer({ cert: ctx.tls.cert, key: ctx.tls.key, handshakeTimeout: Math.min(deps.limits.idleTimeoutMs, 30_000) });
    // Limits apply to the TCP connection, before any TLS work is spent on it; a refused
    // client cannot be told why in cleartext on this port, so it is just closed.
    // During the drain the handshake goes on, so the client can read why it is refused.
    secure.on('connection', (socket: Socket) => {
      if (draining) {
        // Cut with the others at the end of the drain if its handshake is still going.
        drained.add(socket);
        socket.once('close', () => drained.delete(socket));
      } else if (admit(socket)) socket.destroy();
    });
    secure.on('secureConnection', (socket) => {
      socket.on('error', () => undefined);
      if (draining) return refuseDrained(socket);
      startSession(socket, true);
    });
    secure.on('tlsClientError', (e) => log.info({ event: 'pop3.tls.handshake-failed', error: e.message }));
    ports.pop3s = await listen(secure, settings.listen.pop3s.port, host);
    servers.push(secure);
    listening.push(`${host}:${ports.pop3s}`);
  }

  log.info({ event: 'pop3.listening', listening });

  return {
    name: 'pop3',
    listening,
    ports,
    async close() {
      // The listeners stay open while the sessions drain: a client that connects now is
      // told to retry, rather than finding the port closed.
      draining = true;
      limiter.shutDown();
      const drainMs = settings.limits.drainTimeoutSeconds * 1000;
      log.info({ event: 'pop3.drain.start', sessions: sessions.size, timeoutMs: drainMs });
      for (const { session } of sessions) session.shutdown();
      const all = Promise.all([...sessions].map((s) => s.done));
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), drainMs); });
      const late = await Promise.race([all, deadline]);
      clearTimeout(timer);
      log.info({ event: 'pop3.drain.done', left: sessions.size }, late === 'late' ? `drain time over: ${sessions.size} session(s) cut` : 'every session ended');
      const stopped = Promise.all(servers.map(closeServer));
      // Whatever is left (a client not reading, a TLS handshake in progress) is cut.
      limiter.destroyAll();
      for (const socket of drained) socket.destroy();
      await all;
      await stopped;
      log.info({ event: 'pop3.closed' });
    },
  };
}
