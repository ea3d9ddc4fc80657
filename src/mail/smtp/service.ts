// The SMTP service: MX (smtp), submission and submissions listeners on
// listen.address, sharing one set of policies, and delivery of what they accept.
// close() drains (docs/switchover.md): the listeners stay open but answer every new
// connection with 421, idle sessions get 421 at once, a transaction in flight finishes
// and gets its reply, then 421; after limits.drainTimeoutSeconds whatever is left is cut
// (a message not yet acknowledged is the client's to retry), then the listeners close.
import type { MailContext, RunningService } from '../core/context.ts';
import type { ListenerKind } from './policy/relay.ts';
import { TandemSmtpServer } from './server/connection.ts';
import { SmtpShared } from './server/session-state.ts';
import { sessionHooks } from './server/hooks.ts';
import { dataHook } from './server/data.ts';
import { listenerOptions, DEFAULT_CLOSE_TIMEOUT_MS } from './server/listener-options.ts';
import { REPLIES, type Reply } from './proto/reply.ts';

export interface SmtpServiceOptions {
  /** Called after remote copies are queued, so the queue runner can start at once. */
  onRemoteQueued?: () => void;
  /** After the drain, how long the listeners wait for clients that do not close their side (default 2 s). */
  closeTimeoutMs?: number;
}

/** How often the drain looks whether every session has ended. */
const DRAIN_POLL_MS = 50;

export type SmtpService = RunningService & { ports: { smtp?: number; submission?: number; submissions?: number } };

const KINDS: readonly ListenerKind[] = ['smtp', 'submission', 'submissions'];

function listen(server: TandemSmtpServer, port: number, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.server.once('error', onError);
    server.listen(port, address, () => {
      server.server.off('error', onError);
      const a = server.server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}

/** Stops listening; sessions still open (after the drain) get 421 and are closed. */
function closeServer(server: TandemSmtpServer, reply: Reply): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.cutAll(reply);
  });
}

/** Resolves once no server has a session left, or at `deadline` (Date.now() based). */
async function sessionsEnded(servers: readonly TandemSmtpServer[], deadline: number): Promise<number> {
  const open = () => servers.reduce((n, s) => n + s.greetedSessions, 0);
  while (open() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
  return open();
}

export async function startSmtpService(ctx: MailContext, opts: SmtpServiceOptions = {}): Promise<SmtpService> {
  const shared = new SmtpShared(ctx, { layout: ctx.layout, settings: ctx.settings, directory: ctx.directory, log: ctx.log, ...(opts.onRemoteQueued ? { onRemoteQueued: opts.onRemoteQueued } : {}) });
  const address = ctx.settings.listen.address;
  const started: Array<{ kind: ListenerKind; server: TandemSmtpServer; port: number }> = [];
  try {
    for (const kind of KINDS) {
      const port = ctx.settings.listen[kind].port;
      if (port === null) continue;
      const server: TandemSmtpServer = new TandemSmtpServer({
        ...listenerOptions(kind, ctx, opts.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS),
        ...sessionHooks(shared, kind),
        ...dataHook(shared, () => server),
      }, (ip) => shared.plaintextAuthAllowed(ip));
      // Socket-level errors of one client must never take the process down.
      server.on('error', (err: Error) => ctx.log.info({ event: 'smtp.connection.error', listener: kind, err: err.message }));
      const bound = await listen(server, port, address);
      started.push({ kind, server, port: bound });
      ctx.log.info({ event: 'smtp.listening', listener: kind, address, port: bound });
    }
  } catch (err) {
    await Promise.all(started.map((s) => closeServer(s.server, REPLIES.serverShuttingDown())));
    throw err;
  }
  const ports: SmtpService['ports'] = {};
  for (const s of started) ports[s.kind] = s.port;
  const host = address.includes(':') ? `[${address}]` : address;
  let closing: Promise<void> | null = null;
  return {
    name: 'smtp',
    listening: started.map((s) => `${host}:${s.port}`),
    ports,
    close() {
      closing ??= (async () => {
        const servers = started.map((s) => s.server);
        const drainMs = ctx.settings.limits.drainTimeoutSeconds * 1000;
        const reply = REPLIES.serviceMoving(ctx.settings.hostname);
        shared.drainReply = reply;
        const sessions = servers.reduce((n, s) => n + s.greetedSessions, 0);
        ctx.log.info({ event: 'smtp.drain.start', sessions, timeoutMs: drainMs });
        for (const s of servers) s.startDrain(reply);
        const left = await sessionsEnded(servers, Date.now() + drainMs);
        ctx.log.info({ event: 'smtp.drain.done', left }, left > 0 ? `drain time over: ${left} session(s) cut` : 'every session ended');
        await Promise.all(servers.map((s) => closeServer(s, reply)));
        ctx.log.info({ event: 'smtp.closed' });
      })();
      return closing;
    },
  };
}
