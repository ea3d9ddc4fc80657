// The SMTP service: MX (smtp), submission and submissions listeners on
// listen.address, sharing one set of policies, and delivery of what they accept.
// close() stops accepting, ends idle sessions with 421, lets transactions in flight
// finish (bounded by the close timeout), then resolves.
import type { MailContext, RunningService } from '../core/context.ts';
import type { ListenerKind } from './policy/relay.ts';
import { TandemSmtpServer } from './server/connection.ts';
import { SmtpShared } from './server/session-state.ts';
import { sessionHooks } from './server/hooks.ts';
import { dataHook } from './server/data.ts';
import { listenerOptions, DEFAULT_CLOSE_TIMEOUT_MS } from './server/listener-options.ts';
import { REPLIES, formatReply } from './proto/reply.ts';

export interface SmtpServiceOptions {
  /** Called after remote copies are queued, so the queue runner can start at once. */
  onRemoteQueued?: () => void;
  /** How long close() waits for transactions in flight (default 10 s). */
  closeTimeoutMs?: number;
}

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

function closeServer(server: TandemSmtpServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Sessions outside a transaction have nothing to finish: tell them now.
    const bye = REPLIES.serverShuttingDown();
    for (const c of server.connections) {
      if (!c.session.envelope?.mailFrom) c.send(bye.code, formatReply(bye).slice(4));
    }
  });
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
    await Promise.all(started.map((s) => closeServer(s.server)));
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
      closing ??= Promise.all(started.map((s) => closeServer(s.server))).then(() => {
        ctx.log.info({ event: 'smtp.closed' });
      });
      return closing;
    },
  };
}
