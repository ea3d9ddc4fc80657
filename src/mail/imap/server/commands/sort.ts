// SORT and UID SORT (RFC 5256 3): SEARCH criteria, then the message layer's order.
import { atom } from '../../proto/format.ts';
import { formatUntagged } from '../../proto/response.ts';
import { defineCommand, ok, no, uidOnlyExpunges } from '../command.ts';
import { charsetSupported, runSearch, SEARCH_CHARSETS } from '../search.ts';

export const SORT = defineCommand({
  name: 'SORT',
  states: ['selected'],
  expungesAllowed: uidOnlyExpunges,
  async run(ctx, state, cmd) {
    if (!charsetSupported(cmd.charset)) return no(`charset ${cmd.charset.slice(0, 40)} is not supported`, { code: 'BADCHARSET', charsets: SEARCH_CHARSETS });
    const found = await runSearch(ctx, state.mailbox, cmd.criteria);
    const order = await (await ctx.deps.messages()).sort(cmd.keys, found);
    const seqOf = new Map(found.map((c) => [c.uid, c.seq]));
    const numbers = cmd.uid ? order : order.map((uid) => seqOf.get(uid)!).filter((n) => n !== undefined);
    await ctx.send(formatUntagged([atom('SORT'), ...numbers]));
    return ok(`${cmd.uid ? 'UID ' : ''}SORT completed`);
  },
});
