// STATUS (RFC 9051 6.3.11) with HIGHESTMODSEQ (RFC 7162), SIZE (RFC 8438), DELETED and
// APPENDLIMIT (RFC 7889). Asking for HIGHESTMODSEQ turns CONDSTORE on (RFC 7162 3.1).
import { statusResponse } from '../../proto/untagged.ts';
import { defineCommand, ok, no } from '../command.ts';
import { mailboxArg } from '../mailbox-arg.ts';
import { statusValues } from '../mailbox-status.ts';

export const STATUS = defineCommand({
  name: 'STATUS',
  states: ['authenticated', 'selected'],
  async run(ctx, state, cmd) {
    const arg = mailboxArg(ctx, cmd.mailbox);
    if ('error' in arg) return no(arg.error, { code: 'NONEXISTENT' });
    if (cmd.items.includes('HIGHESTMODSEQ')) ctx.condstore = true;
    const ix = await state.store.folder(arg.name);
    const values = await statusValues(ix, cmd.items, ctx.deps.limits.appendLimit);
    await ctx.send(statusResponse(ctx.encodeName(arg.name), values, ctx.format));
    return ok('STATUS completed');
  },
});
