// The IMAP view of one folder in memory: UIDs, flags, MODSEQs, expunge history. Pure: the
// folder index feeds it scans and mutations; it decides what changed and bumps MODSEQ.

/** One message as IMAP sees it. MODSEQs are numbers: 2^53 changes is beyond any mailbox. */
export interface IndexedMessage {
  readonly uid: number;
  /** Maildir id: the stable part of the file name. */
  readonly id: string;
  readonly filename: string;
  readonly isNew: boolean;
  /** RFC822.SIZE: the file is stored with CRLF, so the file size is the IMAP size. */
  readonly size: number;
  /** INTERNALDATE in ms, from the file name. */
  readonly time: number;
  /** Canonical Maildir info letters (system flags upper-case, keywords a..z). */
  readonly letters: string;
  readonly modseq: number;
}

/** What a scan found on disk for one message that has a UID. */
export type ScannedMessage = Omit<IndexedMessage, 'modseq'>;

/** The changes one step made, for sessions (EXISTS, EXPUNGE/VANISHED, FETCH FLAGS). */
export interface FolderChange {
  readonly added: number[];
  readonly expunged: number[];
  readonly flagged: number[];
  readonly highestModseq: number;
}

export interface FolderSnapshot {
  uidValidity: number;
  highestModseq: number;
  vanishedFloor: number;
  messages: IndexedMessage[];
  vanished: Array<[number, number]>;
}

/** Expunge history kept for QRESYNC; older expunges are summarised by vanishedFloor. */
export const VANISHED_HISTORY = 10_000;

export class FolderState {
  /** Read-only for callers: change it through the methods so the UID order stays right. */
  readonly messages = new Map<number, IndexedMessage>();
  /** [uid, modseq] of expunges, oldest first, at most VANISHED_HISTORY. */
  readonly vanished: Array<[number, number]> = [];
  /** Expunges at or below this MODSEQ were forgotten (QRESYNC must then be told all). */
  vanishedFloor = 0;

  constructor(readonly uidValidity: number, public highestModseq = 1) {}

  static fromSnapshot(s: FolderSnapshot): FolderState {
    const st = new FolderState(s.uidValidity, s.highestModseq);
    for (const m of s.messages) st.put(m);
    st.vanished.push(...s.vanished);
    st.vanishedFloor = s.vanishedFloor;
    return st;
  }

  snapshot(): FolderSnapshot {
    return { uidValidity: this.uidValidity, highestModseq: this.highestModseq, vanishedFloor: this.vanishedFloor, messages: [...this.sorted()], vanished: this.vanished };
  }

  /** Messages in UID order (= sequence number order). Cached: sessions ask on every command. */
  sorted(): readonly IndexedMessage[] {
    this.order ??= [...this.messages.values()].sort((a, b) => a.uid - b.uid);
    return this.order;
  }

  private order: readonly IndexedMessage[] | null = null;

  private put(m: IndexedMessage): IndexedMessage {
    this.messages.set(m.uid, m);
    this.order = null;
    return m;
  }

  /**
   * Gives every message a new MODSEQ: after an unclean stop the cache may have missed a
   * flag change that was undone later, so CONDSTORE clients must refetch all flags.
   */
  touchAll(): void {
    for (const m of this.sorted()) this.put({ ...m, modseq: ++this.highestModseq });
  }

  /** Brings the state in line with a full scan: new, vanished and re-flagged messages. */
  applyScan(scan: readonly ScannedMessage[]): FolderChange {
    const seen = new Set<number>();
    const added: number[] = [];
    const flagged: number[] = [];
    for (const s of [...scan].sort((a, b) => a.uid - b.uid)) {
      seen.add(s.uid);
      const old = this.messages.get(s.uid);
      if (!old) {
        this.put({ ...s, modseq: ++this.highestModseq });
        added.push(s.uid);
      } else if (old.letters !== s.letters) {
        this.put({ ...s, modseq: ++this.highestModseq });
        flagged.push(s.uid);
      } else if (old.filename !== s.filename || old.isNew !== s.isNew) {
        this.put({ ...old, filename: s.filename, isNew: s.isNew });
      }
    }
    const gone = [...this.messages.keys()].filter((uid) => !seen.has(uid)).sort((a, b) => a - b);
    this.remove(gone);
    return { added, expunged: gone, flagged, highestModseq: this.highestModseq };
  }

  /** Records a flag change made by this index (file already renamed). */
  setLetters(uid: number, letters: string, filename: string): IndexedMessage | null {
    const old = this.messages.get(uid);
    if (!old) return null;
    return this.put({ ...old, letters, filename, isNew: false, modseq: ++this.highestModseq });
  }

  /** Adds a message this index delivered (APPEND, COPY). */
  add(s: ScannedMessage): IndexedMessage {
    return this.put({ ...s, modseq: ++this.highestModseq });
  }

  /** Forgets expunged messages, keeping bounded history for VANISHED (RFC 7162 3.2.10). */
  remove(uids: readonly number[]): number[] {
    const done: number[] = [];
    for (const uid of uids) {
      if (!this.messages.delete(uid)) continue;
      this.order = null;
      this.vanished.push([uid, ++this.highestModseq]);
      done.push(uid);
    }
    const excess = this.vanished.length - VANISHED_HISTORY;
    if (excess > 0) this.vanishedFloor = this.vanished.splice(0, excess).at(-1)![1];
    return done;
  }

  /**
   * UIDs expunged after `modseq` (QRESYNC VANISHED (EARLIER)). `complete` is false when the
   * history no longer reaches back that far: the server must then report every UID the
   * client knows of that is absent now.
   */
  vanishedSince(modseq: number): { uids: number[]; complete: boolean } {
    return { uids: this.vanished.filter(([, ms]) => ms > modseq).map(([uid]) => uid), complete: modseq >= this.vanishedFloor };
  }
}
