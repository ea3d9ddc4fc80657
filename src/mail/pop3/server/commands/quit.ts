// QUIT (RFC 1939 sections 5 and 6). In AUTHORIZATION it just says goodbye. In
// TRANSACTION the session enters UPDATE and only now removes the messages marked with
// DELE; if removal fails the client hears "-ERR" (section 6) and may retry later.
// A session that ends any other way never gets here, so its deletions are dropped.
import { parseNone } from '../../proto/args.ts';
import { err, ok } from '../../proto/reply.ts';
import { errorId } from '../../../../lib/errors.ts';
import { defineCommand } from '../command.ts';

export const QUIT = defineCommand({
  name: 'QUIT',
  states: ['authorization', 'transaction'],
  parse: (line) => parseNone(line.rest),
  async run(ctx, state) {
    if (state.kind === 'authorization') {
      await ctx.reply(ok(`${ctx.deps.hostname} POP3 server signing off`));
      return { close: true };
    }
    const update = { ...state, kind: 'update' as const };
    const ids = update.maildrop.deletedIds();
    try {
      const removed = await update.maildrop.snapshot.remove(ids);
      const left = update.maildrop.stat().count;
      ctx.event('pop3.update', { user: update.user.address, deleted: ids.length, removed, left });
      await ctx.reply(ok(`${ctx.deps.hostname} POP3 server signing off (${removed} messages deleted, ${left} left)`));
    } catch (e) {
      const id = errorId();
      ctx.event('pop3.update.failed', { user: update.user.address, errorId: id, error: (e as Error).message });
      await ctx.reply(err(`some deleted messages not removed; try again later (${id})`, 'SYS/TEMP'));
    }
    return { next: update, close: true };
  },
});
