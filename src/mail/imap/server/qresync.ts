// What a QRESYNC SELECT reports (RFC 7162 3.2.5): messages changed since the client's
// MODSEQ, and the UIDs it knows that are gone. When the expunge history does not reach back
// far enough (`complete: false`), every known UID that is absent now is reported, narrowed
// by the client's sequence-match data (3.2.5.2) when it sent some.
import { formatSequenceSet, type SequenceSet } from '../proto/sequence-set.ts';
import { mergedRanges } from './selected.ts';
import type { QresyncParams } from '../proto/command-types.ts';
import type { IndexedMessage } from '../store/state.ts';
import type { SelectedMailbox } from './selected.ts';

export interface QresyncReport {
  /** Compressed UID set for `* VANISHED (EARLIER)`, or '' for none. */
  readonly vanished: string;
  readonly changed: readonly IndexedMessage[];
}

/** A membership test for a UID set: binary search over its merged ranges. */
function inSet(set: SequenceSet, top: number): (uid: number) => boolean {
  if (set.kind === 'saved') return () => false;
  const ranges = mergedRanges(set, top);
  return (uid) => {
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [a, b] = ranges[mid]!;
      if (uid < a) hi = mid - 1;
      else if (uid > b) lo = mid + 1;
      else return true;
    }
    return false;
  };
}

/** UID ranges in 1..top that hold no message, as [start, end] pairs. */
function gaps(present: readonly number[], top: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let next = 1;
  for (const uid of present) {
    if (uid > next) out.push([next, Math.min(uid - 1, top)]);
    next = uid + 1;
    if (next > top) break;
  }
  if (next <= top) out.push([next, top]);
  return out.filter(([a, b]) => a <= b);
}

/** The parts of `ranges` (ordered, disjoint) inside `set`: a two-pointer walk. */
function intersect(ranges: Array<[number, number]>, set: SequenceSet, top: number): Array<[number, number]> {
  if (set.kind === 'saved') return [];
  const other = mergedRanges(set, top);
  const out: Array<[number, number]> = [];
  let i = 0;
  let j = 0;
  while (i < ranges.length && j < other.length) {
    const [a, b] = ranges[i]!;
    const [c, d] = other[j]!;
    const s = Math.max(a, c);
    const e = Math.min(b, d);
    if (s <= e) out.push([s, e]);
    if (b < d) i++;
    else j++;
  }
  return out;
}

/** Merges overlapping ranges into the `a:b,c` text of a UID set. */
function rangesText(ranges: Array<[number, number]>): string {
  const sorted = [...ranges].sort((x, y) => x[0] - y[0]);
  const merged: Array<[number, number]> = [];
  for (const [a, b] of sorted) {
    const last = merged.at(-1);
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  return merged.map(([a, b]) => (a === b ? `${a}` : `${a}:${b}`)).join(',');
}

export function qresyncReport(mailbox: SelectedMailbox, q: QresyncParams): QresyncReport {
  const ix = mailbox.ix;
  const since = Number(q.modseq);
  const msgs = ix.messages();
  const top = Math.max(ix.status().uidNext - 1, 0);
  const known = q.knownUids === null ? () => true : inSet(q.knownUids, top);
  const changed = msgs.filter((m) => m.modseq > since && known(m.uid));
  const history = ix.vanishedSince(since);
  let vanished: string;
  if (history.complete) {
    vanished = formatSequenceSet(history.uids.filter(known));
  } else {
    // The history is incomplete: report every known UID that is absent, but nothing at or
    // below the highest UID whose sequence number the client still has right (no message
    // before it can have gone, or its number would have moved).
    let floor = 0;
    if (q.seqMatch && q.seqMatch.seqs.kind === 'ranges' && q.seqMatch.uids.kind === 'ranges') {
      const seqs = expandPairs(q.seqMatch.seqs);
      const uids = expandPairs(q.seqMatch.uids);
      const view = mailbox.uids();
      for (let i = 0; i < Math.min(seqs.length, uids.length); i++) {
        if (view[seqs[i]! - 1] === uids[i]) floor = Math.max(floor, uids[i]!);
        else break;
      }
    }
    let ranges = gaps(msgs.map((m) => m.uid), top).map(([a, b]) => [Math.max(a, floor + 1), b] as [number, number]).filter(([a, b]) => a <= b);
    if (q.knownUids) ranges = intersect(ranges, q.knownUids, top);
    vanished = rangesText(ranges);
  }
  return { vanished, changed };
}

/** The numbers of a small explicit set (sequence-match data is short by design). */
function expandPairs(set: Extract<SequenceSet, { kind: 'ranges' }>): number[] {
  const out: number[] = [];
  for (const r of set.ranges) {
    if (r.start === '*' || r.end === '*') break;
    const lo = Math.min(r.start, r.end);
    const hi = Math.max(r.start, r.end);
    for (let n = lo; n <= hi && out.length < 10_000; n++) out.push(n);
  }
  return out;
}
