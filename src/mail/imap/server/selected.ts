// One session's view of its selected mailbox (RFC 9051 section 7.4.1): its own UID ->
// sequence number mapping, and the folder's change events held until a point where the
// session may report them. Several sessions share one FolderIndex; each has a view.
import type { FolderIndex } from '../store/folder-index.ts';
import type { FolderChange, IndexedMessage } from '../store/state.ts';
import type { FormatOptions, ImapValue } from '../proto/format.ts';
import { countResponse, fetchResponse, vanishedResponse } from '../proto/untagged.ts';
import { formatSequenceSet, type SequenceSet } from '../proto/sequence-set.ts';
import { flagsValue } from '../proto/envelope.ts';

/** A message of the view: its sequence number, UID, and index entry (null once expunged). */
export interface ViewMessage {
  readonly seq: number;
  readonly uid: number;
  readonly m: IndexedMessage | null;
}

export interface FlushOptions {
  /** EXPUNGE/VANISHED may be sent now (not after FETCH, STORE, SEARCH by sequence number). */
  readonly expunges: boolean;
  /** ENABLE QRESYNC: VANISHED instead of EXPUNGE (RFC 7162 3.2.10). */
  readonly qresync: boolean;
  /** MODSEQ in unsolicited FETCH (RFC 7162 3.1.4). */
  readonly condstore: boolean;
  readonly format: FormatOptions;
}

/** Finds a message by UID in UID order; the index's list is cached, so this is O(log n). */
export function findByUid(list: readonly IndexedMessage[], uid: number): IndexedMessage | null {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const u = list[mid]!.uid;
    if (u === uid) return list[mid]!;
    if (u < uid) lo = mid + 1;
    else hi = mid - 1;
  }
  return null;
}

function indexOfUid(list: readonly number[], uid: number): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const u = list[mid]!;
    if (u === uid) return mid;
    if (u < uid) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** The ranges of a set with `*` as `max`, ordered and merged: [[1, 4], [7, 9]]. */
export function mergedRanges(set: Extract<SequenceSet, { kind: 'ranges' }>, max: number): Array<[number, number]> {
  const ranges = set.ranges.map((r): [number, number] => {
    const a = r.start === '*' ? max : r.start;
    const b = r.end === '*' ? max : r.end;
    return a <= b ? [a, b] : [b, a];
  }).sort((x, y) => x[0] - y[0]);
  const out: Array<[number, number]> = [];
  for (const [a, b] of ranges) {
    const last = out.at(-1);
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

export class SelectedMailbox {
  /** UIDs by sequence number - 1: what this client has been told. */
  private view: number[];
  private readonly added = new Set<number>();
  private readonly expunged = new Set<number>();
  private readonly flagged = new Set<number>();
  /** MODSEQ of a flag state this client already saw in a reply (its own STORE, FETCH). */
  private readonly reported = new Map<number, number>();
  /** Why this mailbox cannot be used any more (deleted, renamed, UIDVALIDITY changed). */
  gone: string | null = null;
  /** SEARCHRES (RFC 5182): the saved result, as UIDs. */
  saved: number[] | null = null;
  private leaveWatch: (() => void) | null = null;

  constructor(
    readonly name: string,
    readonly ix: FolderIndex,
    readonly readOnly: boolean,
    private readonly onChange: () => void,
  ) {
    this.uidValidity = ix.uidValidity;
    this.view = ix.messages().map((m) => m.uid);
    // One listener per session on the folder is by design; any number of sessions may select it.
    ix.setMaxListeners(0);
    ix.on('change', this.onFolderChange);
  }

  readonly uidValidity: number;

  private readonly onFolderChange = (c: FolderChange): void => {
    if (this.ix.uidValidity !== this.uidValidity) {
      // RFC 9051 2.3.1.1: the UIDs this client holds now mean nothing; never serve them.
      this.markGone(`UIDVALIDITY of ${this.name} changed; select it again`);
      return;
    }
    for (const uid of c.added) this.added.add(uid);
    for (const uid of c.expunged) {
      if (this.added.delete(uid)) continue;
      this.expunged.add(uid);
    }
    for (const uid of c.flagged) this.flagged.add(uid);
    this.onChange();
  };

  markGone(reason: string): void {
    if (this.gone) return;
    this.gone = reason;
    this.onChange();
  }

  setWatch(leave: () => void): void {
    this.leaveWatch = leave;
  }

  /** Leaves the mailbox: no more events, watch released. */
  close(): void {
    this.ix.off('change', this.onFolderChange);
    this.leaveWatch?.();
    this.leaveWatch = null;
  }

  get exists(): number { return this.view.length; }
  get maxUid(): number { return this.view.at(-1) ?? 0; }

  /** Whether changes wait to be reported. */
  get hasPending(): boolean {
    return this.added.size + this.expunged.size + this.flagged.size > 0;
  }

  uids(): readonly number[] { return this.view; }

  seqOf(uid: number): number {
    return indexOfUid(this.view, uid) + 1;
  }

  /**
   * Messages of a sequence set (or UID set when `uid`), in sequence order. Ranges are merged
   * first, so a line full of small ranges costs O(ranges log ranges + messages), not their product.
   */
  resolve(set: SequenceSet, uid: boolean): ViewMessage[] {
    const list = this.ix.messages();
    const at = (i: number): ViewMessage => ({ seq: i + 1, uid: this.view[i]!, m: findByUid(list, this.view[i]!) });
    const out: ViewMessage[] = [];
    if (set.kind === 'saved') {
      // "$" holds UIDs (RFC 5182); as sequence numbers they are those messages' positions.
      for (const u of [...new Set(this.saved ?? [])].sort((a, b) => a - b)) {
        const i = indexOfUid(this.view, u);
        if (i >= 0) out.push(at(i));
      }
      return out;
    }
    if (!uid) {
      for (const [lo, hi] of mergedRanges(set, this.view.length)) {
        for (let n = Math.max(lo, 1); n <= Math.min(hi, this.view.length); n++) out.push(at(n - 1));
      }
      return out;
    }
    const ranges = mergedRanges(set, this.maxUid);
    let r = 0;
    for (let i = 0; i < this.view.length && r < ranges.length; i++) {
      const u = this.view[i]!;
      while (r < ranges.length && ranges[r]![1] < u) r++;
      if (r < ranges.length && ranges[r]![0] <= u) out.push(at(i));
    }
    return out;
  }

  /** Every message of the view with its index entry (null when expunged but not yet reported). */
  all(): ViewMessage[] {
    const list = this.ix.messages();
    return this.view.map((uid, i) => ({ seq: i + 1, uid, m: findByUid(list, uid) }));
  }

  /** The client saw this flag state in a reply: no unsolicited FETCH for it. */
  noteReported(uid: number, modseq: number): void {
    this.reported.set(uid, modseq);
  }

  /**
   * Sends what changed since the last flush: EXPUNGE (descending, so each number is right
   * when read) or VANISHED, EXISTS for new messages, FETCH FLAGS for flag changes.
   */
  async flush(send: (b: Buffer) => Promise<void>, o: FlushOptions): Promise<void> {
    if (o.expunges && this.expunged.size > 0) {
      const gone = [...this.expunged].filter((u) => indexOfUid(this.view, u) >= 0).sort((a, b) => a - b);
      this.expunged.clear();
      if (gone.length > 0) {
        if (o.qresync) await send(vanishedResponse(formatSequenceSet(gone), false));
        else {
          const seqs = gone.map((u) => this.seqOf(u)).sort((a, b) => b - a);
          for (const s of seqs) await send(countResponse(s, 'EXPUNGE'));
        }
        const drop = new Set(gone);
        this.view = this.view.filter((u) => !drop.has(u));
        for (const u of gone) { this.reported.delete(u); this.flagged.delete(u); }
      }
    }
    if (this.added.size > 0) {
      const list = this.ix.messages();
      const max = this.maxUid;
      const fresh = [...this.added].filter((u) => u > max && findByUid(list, u) !== null).sort((a, b) => a - b);
      this.added.clear();
      if (fresh.length > 0) {
        this.view.push(...fresh);
        await send(countResponse(this.view.length, 'EXISTS'));
      }
    }
    if (this.flagged.size > 0) {
      const list = this.ix.messages();
      const uids = [...this.flagged].sort((a, b) => a - b);
      this.flagged.clear();
      for (const uid of uids) {
        const seq = this.seqOf(uid);
        const m = findByUid(list, uid);
        if (seq === 0 || !m) continue;
        if ((this.reported.get(uid) ?? -1) >= m.modseq) continue;
        const pairs: Array<[string, ImapValue]> = [['UID', uid], ['FLAGS', flagsValue(this.ix.flagsOf(m))]];
        if (o.condstore) pairs.push(['MODSEQ', [BigInt(m.modseq)]]);
        await send(fetchResponse(seq, pairs, o.format));
      }
    }
    this.reported.clear();
  }
}
