// IDLE (RFC 2177, RFC 9051 6.3.13): "+ idling", then mailbox changes as they happen (the
// folder watch syncs on inotify events, so another process's delivery arrives within a
// second) until the client sends DONE. imap.idleTimeoutSeconds bounds one IDLE.
import { formatContinuation, formatUntaggedStatus } from '../../proto/response.ts';
import { defineCommand, ok, bad, type Result } from '../command.ts';
import { shutdownBye } from '../shutdown.ts';

/** An idle connection hears from us this often. */
const KEEPALIVE_MS = 120_000;

export const IDLE = defineCommand({
  name: 'IDLE',
  states: ['authenticated', 'selected'],
  async run(ctx, state): Promise<Result> {
    const mb = state.kind === 'selected' ? state.mailbox : null;
    ctx.setRawLineMode(true);
    try {
      if (mb && !mb.gone) await mb.ix.sync();
      await ctx.send(formatContinuation('idling'));
      const deadline = Date.now() + ctx.deps.limits.idleMs;
      for (;;) {
        if (mb?.gone) return ok('IDLE terminated');
        await ctx.flushUpdates(true);
        const left = deadline - Date.now();
        const r = left > 0 ? await ctx.waitLineOrChange(Math.min(left, KEEPALIVE_MS)) : 'timeout';
        if (r === 'change') continue;
        if (r === 'timeout' && Date.now() < deadline) {
          // Keeps NAT and firewall state alive on a quiet connection (RFC 2177 allows it).
          await ctx.send(formatUntaggedStatus('OK', 'still here'));
          continue;
        }
        if (r === 'closed') return { status: 'OK', text: 'IDLE terminated', close: true, sent: true };
        if (r === 'timeout' || r === 'shutdown') {
          await ctx.send(r === 'timeout' ? formatUntaggedStatus('BYE', 'IDLE for too long; reconnect') : shutdownBye(ctx.deps.hostname));
          return { status: 'OK', text: 'IDLE terminated', close: true, sent: true };
        }
        if (r.line.trim().toUpperCase() === 'DONE') return ok('IDLE terminated');
        return bad('expected DONE to end IDLE');
      }
    } finally {
      ctx.setRawLineMode(false);
    }
  },
});
