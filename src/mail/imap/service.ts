// The imap service: a cleartext listener with STARTTLS (port 143 style) and an implicit-TLS
// listener (port 993 style, RFC 8314), connection limits, login throttling shared in
// design with POP3, and a graceful close, the drain of docs/switchover.md: every session
// gets BYE [UNAVAILABLE] once its command in progress is done (RFC 9051 7.1.5), new
// connections get it instead of the greeting, for up to limits.drainTimeoutSeconds.
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, type SecureContext } from 'node:tls';
import { join } from 'node:path';
import type { MailContext, RunningService } from '../core/context.ts';
import { listen, closeServer, ConnectionLimiter } from '../serve/listeners.ts';
import { LoginThrottle } from '../../lib/login-throttle.ts';
import { formatUntaggedStatus } from './proto/response.ts';
import { MailIndexes } from './store/registry.ts';
import type { MessageLayer } from './message/api.ts';
import type { ServerDeps } from './server/command.ts';
import { ImapConnection } from './server/connection.ts';
import { ImapSession } from './server/session.ts';
import { LiteralSinks, cleanTmpDir } from './server/literal-sink.ts';
import { FolderWatches } from './server/watches.ts';
import { shutdownBye } from './server/shutdown.ts';

export interface ImapService extends RunningService {
  readonly ports: { imap?: number; imaps?: number };
  /** For tests: the shared parts (indexes, watches). */
  readonly deps: ServerDeps;
}

export interface ImapServiceOptions {
  /** Replaces the message layer (tests); production loads src/mail/imap/message/index.ts. */
  readonly messages?: MessageLayer;
}


/** The message layer, loaded on first use so the service starts without it. */
function lazyMessages(ctx: MailContext, given?: MessageLayer): { get: () => Promise<MessageLayer>; close: () => Promise<void> } {
  let layer: Promise<MessageLayer> | null = given ? Promise.resolve(given) : null;
  return {
    get: () => {
      layer ??= import('./message/index.ts').then((mod: { createMessageLayer: (l: MailContext['layout']) => MessageLayer | Promise<MessageLayer> }) => mod.createMessageLayer(ctx.layout));
      layer.catch(() => { layer = null; });
      return layer;
    },
    // Flushes the meta cache of a layer this service created; loads nothing at shutdown.
    close: async () => {
      if (layer && !given) await layer.then((m) => m.close(), () => undefined);
    },
  };
}

export async function startImapService(ctx: MailContext, options: ImapServiceOptions = {}): Promise<ImapService> {
  const { settings, log } = ctx;
  const limits = settings.limits;
  let tls: SecureContext | null = null;
  try {
    tls = createSecureContext({ cert: ctx.tls.cert, key: ctx.tls.key });
  } catch (e) {
    log.error({ event: 'imap.tls.unusable', error: (e as Error).message });
  }
  const tmpDir = join(ctx.layout.runDir, 'imap-tmp');
  await cleanTmpDir(tmpDir);
  const messages = lazyMessages(ctx, options.messages);
  const indexes = new MailIndexes(ctx.layout);
  const deps: ServerDeps = {
    indexes,
    messages: messages.get,
    auth: ctx.directory,
    throttle: new LoginThrottle({
      maxFailuresPerIp: settings.auth.maxFailuresPerIp,
      maxFailuresPerUser: settings.auth.maxFailuresPerUser,
      windowMs: settings.auth.failureWindowSeconds * 1000,
    }),
    tls,
    allowPlaintextOnLoopback: settings.auth.allowPlaintextOnLoopback,
    hostname: settings.hostname,
    watches: new FolderWatches(),
    tmpDir,
    limits: {
      autologoutMs: settings.imap.autologoutSeconds * 1000,
      idleMs: settings.imap.idleTimeoutSeconds * 1000,
      maxLineBytes: settings.imap.maxLineBytes,
      inlineLiteralBytes: settings.imap.inlineLiteralBytes,
      maxCommandBytes: settings.imap.maxCommandBytes,
      appendLimit: limits.messageSizeBytes,
      maxBadCommands: 20,
      maxAuthFailures: 3,
    },
    log,
  };
  const readerLimits = {
    maxLineLength: deps.limits.maxLineBytes, maxLiteralSize: deps.limits.appendLimit,
    inlineLiteralMax: deps.limits.inlineLiteralBytes, maxCommandBytes: deps.limits.maxCommandBytes,
    maxDepth: 16, maxTokens: 100_000,
  };

  const limiter = new ConnectionLimiter(limits);
  const admit = (socket: Socket): string | null => {
    const why = limiter.admit(socket);
    return why === null ? null : `${why}; try again later`;
  };
  const sessions = new Set<{ session: ImapSession; done: Promise<void> }>();
  let draining = false;
  /** A connection that arrives during the drain: BYE instead of the greeting. */
  const drained = new Set<Socket>();
  const refuseDrained = (socket: Socket): void => {
    log.info({ event: 'imap.connect.drained', ip: socket.remoteAddress });
    drained.add(socket);
    socket.once('close', () => drained.delete(socket));
    socket.end(shutdownBye(settings.hostname));
  };

  function startSession(socket: Socket, secure: boolean): void {
    socket.setNoDelay(true);
    const sinks = new LiteralSinks(tmpDir, Math.random().toString(36).slice(2, 10));
    const conn = new ImapConnection(socket, secure, readerLimits, sinks);
    const session = new ImapSession(conn, deps, sinks);
    const entry = { session, done: session.run() };
    sessions.add(entry);
    void entry.done.finally(() => sessions.delete(entry));
  }

  const listening: string[] = [];
  const servers: Server[] = [];
  const ports: { imap?: number; imaps?: number } = {};
  const host = settings.listen.address;

  if (settings.listen.imap.port !== null) {
    const plain = createServer((socket) => {
      socket.on('error', () => undefined);
      if (draining) return refuseDrained(socket);
      const refusal = admit(socket);
      if (refusal) {
        log.warn({ event: 'imap.connection.refused', ip: socket.remoteAddress, reason: refusal });
        socket.end(formatUntaggedStatus('BYE', refusal, { code: 'UNAVAILABLE' }));
        return;
      }
      startSession(socket, false);
    });
    ports.imap = await listen(plain, settings.listen.imap.port, host);
    servers.push(plain);
    listening.push(`${host}:${ports.imap}`);
  }

  if (settings.listen.imaps.port !== null && tls) {
    const secure = createTlsServer({ cert: ctx.tls.cert, key: ctx.tls.key, handshakeTimeout: 30_000 });
    // Limits apply to the TCP connection, before any TLS work is spent on it.
    // During the drain the handshake goes on, so the client can read its BYE.
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
    secure.on('tlsClientError', (e) => log.info({ event: 'imap.tls.handshake-failed', error: e.message }));
    ports.imaps = await listen(secure, settings.listen.imaps.port, host);
    servers.push(secure);
    listening.push(`${host}:${ports.imaps}`);
  }

  log.info({ event: 'imap.listening', listening });

  return {
    name: 'imap',
    listening,
    ports,
    deps,
    async close() {
      // The listeners stay open while the sessions drain: a client that connects now
      // hears BYE [UNAVAILABLE] and retries, rather than finding the port closed.
      draining = true;
      limiter.shutDown();
      const drainMs = settings.limits.drainTimeoutSeconds * 1000;
      log.info({ event: 'imap.drain.start', sessions: sessions.size, timeoutMs: drainMs });
      for (const { session } of sessions) session.shutdown();
      const all = Promise.all([...sessions].map((s) => s.done));
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), drainMs); });
      const late = await Promise.race([all, deadline]);
      clearTimeout(timer);
      log.info({ event: 'imap.drain.done', left: sessions.size }, late === 'late' ? `drain time over: ${sessions.size} session(s) cut` : 'every session ended');
      const stopped = Promise.all(servers.map(closeServer));
      // Whatever is left (a client not reading, a stalled literal, a TLS handshake) is cut.
      limiter.destroyAll();
      for (const socket of drained) socket.destroy();
      await all;
      await stopped;
      deps.watches.closeAll();
      await indexes.close();
      await messages.close();
      log.info({ event: 'imap.closed' });
    },
  };
}
