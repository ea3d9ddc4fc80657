// STORE and UID STORE (RFC 9051 6.4.6) with UNCHANGEDSINCE and [MODIFIED] (RFC 7162
// 3.1.3). The OK comes after the renames are fsync'd (FolderIndex.setFlags). Without
// .SILENT every message of the set gets its FLAGS; with it only CONDSTORE's MODSEQ.
import { formatSequenceSet } from '../../proto/sequence-set.ts';
import { fetchResponse } from '../../proto/untagged.ts';
import { flagsValue } from '../../proto/envelope.ts';
import type { ImapValue } from '../../proto/format.ts';
import { defineCommand, ok, no, bad, uidOnlyExpunges } from '../command.ts';
import { clientFlags } from '../flags-arg.ts';
import { findByUid } from '../selected.ts';

const MODE = { set: 'replace', add: 'add', remove: 'remove' } as const;

export const STORE = defineCommand({
  name: 'STORE',
  states: ['selected'],
  expungesAllowed: uidOnlyExpunges,
  async run(ctx, state, cmd) {
    const mb = state.mailbox;
    if (mb.readOnly) return no('mailbox is read-only (EXAMINE); flags cannot be changed', { code: 'READ-ONLY' });
    const parsed = clientFlags(cmd.flags);
    if ('error' in parsed) return bad(`STORE: ${parsed.error}`);
    if (cmd.unchangedSince !== null) ctx.condstore = true;
    const targets = mb.resolve(cmd.sequence, cmd.uid).filter((t) => t.m !== null);
    const uids = targets.map((t) => t.uid);
    const r = uids.length ? await mb.ix.setFlags(uids, MODE[cmd.action], parsed.flags, cmd.unchangedSince === null ? undefined : Number(cmd.unchangedSince)) : { changed: [], failed: [] };
    const changed = new Set(r.changed.map((m) => m.uid));
    const failed = new Set(r.failed);
    const list = mb.ix.messages();
    for (const t of targets) {
      if (failed.has(t.uid)) continue;
      const m = findByUid(list, t.uid);
      if (!m) continue;
      if (cmd.silent && !(changed.has(t.uid) && cmd.unchangedSince !== null)) {
        if (changed.has(t.uid)) mb.noteReported(t.uid, m.modseq);
        continue;
      }
      const pairs: Array<[string, ImapValue]> = [];
      if (!cmd.silent) pairs.push(['FLAGS', flagsValue(mb.ix.flagsOf(m))]);
      if (cmd.uid) pairs.push(['UID', m.uid]);
      if (ctx.condstore) pairs.push(['MODSEQ', [BigInt(m.modseq)]]);
      await ctx.send(fetchResponse(t.seq, pairs, ctx.format));
      mb.noteReported(t.uid, m.modseq);
    }
    if (failed.size > 0) {
      const set = cmd.uid ? [...failed] : targets.filter((t) => failed.has(t.uid)).map((t) => t.seq);
      return ok('conditional STORE failed for some messages', { code: 'MODIFIED', set: formatSequenceSet(set) });
    }
    return ok(`${cmd.uid ? 'UID ' : ''}STORE completed`);
  },
});
