// FETCH and UID FETCH (RFC 9051 6.4.5, 6.4.9) with CHANGEDSINCE and VANISHED (RFC 7162
// 3.1.4, 3.2.6). A non-PEEK body item sets \Seen first in a read-write mailbox, and the
// new FLAGS go out with the data. No EXPUNGE may follow a FETCH by sequence number.
import { formatSequenceSet } from '../../proto/sequence-set.ts';
import { vanishedResponse } from '../../proto/untagged.ts';
import { defineCommand, ok, no, bad, uidOnlyExpunges } from '../command.ts';
import { MessageFetcher, type FetchOutcome } from '../fetch-items.ts';
import type { IndexedMessage } from '../../store/state.ts';
import type { FetchAtt } from '../../proto/fetch-types.ts';
import { qresyncReport } from '../qresync.ts';
import { findByUid } from '../selected.ts';

function setsSeen(a: FetchAtt): boolean {
  return ((a.item === 'BODY[]' || a.item === 'BINARY[]') && !a.peek) || a.item === 'RFC822' || a.item === 'RFC822.TEXT';
}

export const FETCH = defineCommand({
  name: 'FETCH',
  states: ['selected'],
  expungesAllowed: uidOnlyExpunges,
  async run(ctx, state, cmd) {
    const mb = state.mailbox;
    if (cmd.vanished && (!cmd.uid || !ctx.enabled.has('QRESYNC'))) return bad('VANISHED needs UID FETCH and ENABLE QRESYNC (RFC 7162 3.2.6)');
    const changedSince = cmd.changedSince === null ? null : Number(cmd.changedSince);
    if (changedSince !== null || cmd.items.some((a) => a.item === 'MODSEQ')) ctx.condstore = true;
    let targets = mb.resolve(cmd.sequence, cmd.uid);
    if (cmd.vanished && changedSince !== null) {
      const report = qresyncReport(mb, { uidValidity: mb.uidValidity, modseq: cmd.changedSince!, knownUids: cmd.sequence, seqMatch: null });
      if (report.vanished) await ctx.send(vanishedResponse(report.vanished, true));
    }
    if (changedSince !== null) targets = targets.filter((t) => t.m !== null && t.m.modseq > changedSince);
    const seen = !mb.readOnly && cmd.items.some(setsSeen);
    let flagsChanged = new Set<number>();
    if (seen) {
      const unseen = targets.filter((t) => t.m && !t.m.letters.includes('S')).map((t) => t.uid);
      if (unseen.length) {
        const r = await mb.ix.setFlags(unseen, 'add', ['\\Seen']);
        flagsChanged = new Set(r.changed.map((m) => m.uid));
      }
    }
    const fetcher = new MessageFetcher(mb.ix, () => ctx.deps.messages());
    const missing: number[] = [];
    let unknownCte = false;
    for (const t of targets) {
      if (ctx.closed) break;
      if (!t.m) { missing.push(t.seq); continue; }
      let outcome: FetchOutcome = 'gone';
      let m: IndexedMessage | null = null;
      // A STORE (here or in another process) renames the file between the lookup and the
      // open: look the UID up again and retry; the last tries re-sync first, for a rename
      // this process has not seen.
      for (let attempt = 0; attempt < 6; attempt++) {
        if (attempt >= 4) await mb.ix.sync(true);
        m = findByUid(mb.ix.messages(), t.uid);
        if (!m) break;
        const extra: Array<'UID' | 'FLAGS' | 'MODSEQ'> = [];
        if (cmd.uid) extra.push('UID');
        if (flagsChanged.has(m.uid)) extra.push('FLAGS');
        if (changedSince !== null || (flagsChanged.has(m.uid) && ctx.condstore)) extra.push('MODSEQ');
        outcome = await fetcher.fetch({ seq: t.seq, m }, cmd.items, { format: ctx.format, extra }, ctx.send);
        if (outcome !== 'gone') break;
      }
      if (outcome === 'gone' || !m) missing.push(t.seq);
      else if (outcome === 'unknown-cte') unknownCte = true;
      else if (flagsChanged.has(m.uid) || cmd.items.some((a) => a.item === 'FLAGS')) mb.noteReported(m.uid, m.modseq);
    }
    if (unknownCte) return no('a part has a content transfer encoding this server cannot decode', { code: 'UNKNOWN-CTE' });
    if (missing.length && !cmd.uid) {
      return no(`messages ${formatSequenceSet(missing)} were expunged by another session`, { code: 'EXPUNGEISSUED' });
    }
    return ok(`${cmd.uid ? 'UID ' : ''}FETCH completed`);
  },
});
