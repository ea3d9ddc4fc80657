// IDLE (RFC 2177, RFC 9051 6.3.13): "+ idling", then mailbox changes as they happen (the
// folder watch syncs on inotify events, so another process's delivery arrives within a
// second) until the client sends DONE. imap.idleTimeoutSeconds bounds one IDLE.
import { formatContinuation, formatUntaggedStatus } from '../../proto/response.ts';
import { defineCommand, ok, bad, type Result } from '../command.ts';

export const IDLE = defineCommand({
  name: 'IDLE',
  states: ['authenticated', 'selected'],
  async run(ctx, state): Promise<Result> {
    const mb = state.kind === 'selected' ? state.mailbox : null;
    ctx.setRawLineMode(true);
    try {
      if (mb && !mb.gone) await mb.ix.sync();
      await ctx.send(formatContinuation('idling'));
      for (;;) {
        if (mb?.gone) return ok('IDLE terminated');
        await ctx.flushUpdates(true);
        const r = await ctx.waitLineOrChange(ctx.deps.limits.idleMs);
        if (r === 'change') continue;
        if (r === 'closed') return { status: 'OK', text: 'IDLE terminated', close: true, sent: true };
        if (r === 'timeout' || r === 'shutdown') {
          await ctx.send(formatUntaggedStatus('BYE', r === 'timeout' ? 'IDLE for too long; reconnect' : 'server shutting down; reconnect in a moment'));
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
