// SEARCH / UID SEARCH (RFC 9051 6.4.4) with ESEARCH (RFC 4731: RETURN MIN MAX ALL COUNT),
// SEARCHRES (RFC 5182: SAVE and "$") and CONDSTORE's MODSEQ (RFC 7162 3.1.5). After ENABLE
// IMAP4rev2 the answer is always ESEARCH. No EXPUNGE follows a SEARCH by sequence number.
import { formatSequenceSet } from '../../proto/sequence-set.ts';
import { esearchResponse, searchResponse, type EsearchResult } from '../../proto/untagged.ts';
import { defineCommand, ok, no, uidOnlyExpunges } from '../command.ts';
import { charsetSupported, runSearch, SEARCH_CHARSETS, usesModseq } from '../search.ts';

export const SEARCH = defineCommand({
  name: 'SEARCH',
  states: ['selected'],
  expungesAllowed: uidOnlyExpunges,
  async run(ctx, state, cmd) {
    const mb = state.mailbox;
    if (!charsetSupported(cmd.charset)) return no(`charset ${cmd.charset!.slice(0, 40)} is not supported`, { code: 'BADCHARSET', charsets: SEARCH_CHARSETS });
    const withModseq = usesModseq(cmd.criteria);
    if (withModseq) ctx.condstore = true;
    const found = await runSearch(ctx, mb, cmd.criteria);
    const numbers = found.map((c) => (cmd.uid ? c.uid : c.seq));
    const highest = withModseq && found.length ? BigInt(found.reduce((n, c) => Math.max(n, c.modseq), 0)) : null;
    const returns = cmd.returns ?? (ctx.rev2 ? [] : null);
    if (returns === null) {
      await ctx.send(searchResponse(numbers, highest));
      return ok(`${cmd.uid ? 'UID ' : ''}SEARCH completed`);
    }
    const want = new Set(returns.length === 0 ? ['ALL'] : returns);
    if (want.has('SAVE')) {
      mb.saved = found.map((c) => c.uid);
      want.delete('SAVE');
      // RFC 5182 2.1: SAVE alone returns nothing but the tagged OK.
      if (want.size === 0) return ok(`${cmd.uid ? 'UID ' : ''}SEARCH completed (result saved)`);
    }
    const r: { -readonly [K in keyof EsearchResult]: EsearchResult[K] } = {};
    // Numbers are ascending (UID order is sequence order).
    if (want.has('MIN') && numbers.length) r.min = numbers[0]!;
    if (want.has('MAX') && numbers.length) r.max = numbers[numbers.length - 1]!;
    if (want.has('ALL')) r.all = formatSequenceSet(numbers);
    if (want.has('COUNT')) r.count = numbers.length;
    if (highest !== null) r.modseq = highest;
    await ctx.send(esearchResponse(cmd.tag, cmd.uid, r));
    return ok(`${cmd.uid ? 'UID ' : ''}SEARCH completed`);
  },
});
