// DELE and RSET (RFC 1939 section 5): DELE only marks; nothing is removed until the
// client says QUIT and the session enters UPDATE (see quit.ts).
import { parseMsg, parseNone } from '../../proto/args.ts';
import { ok } from '../../proto/reply.ts';
import { defineCommand } from '../command.ts';

export const DELE = defineCommand({
  name: 'DELE',
  states: ['transaction'],
  parse: (line) => parseMsg(line.rest),
  async run(ctx, state, { msg }) {
    const found = state.maildrop.lookup(msg);
    if (!found.ok) {
      await ctx.reply(found.reply);
      return;
    }
    state.maildrop.markDeleted(msg);
    await ctx.reply(ok(`message ${msg} marked for deletion`));
  },
});

export const RSET = defineCommand({
  name: 'RSET',
  states: ['transaction'],
  parse: (line) => parseNone(line.rest),
  async run(ctx, state) {
    const unmarked = state.maildrop.reset();
    const { count, octets } = state.maildrop.stat();
    await ctx.reply(ok(`${unmarked} messages unmarked; maildrop has ${count} messages (${octets} octets)`));
  },
});
