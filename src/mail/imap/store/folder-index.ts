// The IMAP index of one Maildir folder: UIDs from tandem-uidlist, flags from file names,
// MODSEQs in a cache. Every mutation is durable before it resolves (DESIGN 3.1).
import { EventEmitter } from 'node:events';
import { stat, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureMaildir, listMaildir, deliverToMaildir, parseMaildirName } from '../../storage/maildir.ts';
import { addUsage } from '../../storage/quota.ts';
import { renameForFlags, unlinkMessages } from './files.ts';
import { withLockFile } from './lock.ts';
import { readUidList, writeUidList, assignUids, LOCK_FILE, type UidList } from './uidlist.ts';
import { allocateUidValidity } from './uidvalidity.ts';
import { readKeywords, ensureKeywords, keywordIndex } from './keywords.ts';
import { readCache, CacheWriter } from './cache.ts';
import { FolderState, type FolderChange, type IndexedMessage, type ScannedMessage } from './state.ts';
import { applyFlags, lettersToFlags, normalizeLetters, systemFlag, SYSTEM_FLAGS, type FlagMode } from './flags.ts';

/** STATUS data (RFC 9051 6.3.11, RFC 7162 HIGHESTMODSEQ). */
export interface FolderStatus {
  messages: number; uidNext: number; uidValidity: number; unseen: number; size: number; highestModseq: number;
}

export interface StoreResult { changed: IndexedMessage[]; failed: number[] }

/** A file this process just placed durably in the folder's cur/ (APPEND, COPY). */
export type PlacedFile = Omit<ScannedMessage, 'uid'>;

/** Directory mtimes this close to a scan may hide a later change in the same tick. */
const MTIME_SLACK_MS = 1000;

export class FolderIndex extends EventEmitter {
  private uids: UidList;
  private keywords: string[] = [];
  private lastMtimes = '';
  private lastScanStart = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly cache: CacheWriter;

  private constructor(readonly dir: string, cacheFile: string, private readonly userRoot: string, private state: FolderState, uids: UidList) {
    super();
    this.uids = uids;
    this.cache = new CacheWriter(cacheFile, () => this.state.snapshot());
  }

  /** Opens (creating when needed) the index of folder `dir`, then runs a full sync. */
  static async open(dir: string, cacheFile: string, userRoot: string): Promise<FolderIndex> {
    await ensureMaildir(dir);
    const cached = await readCache(cacheFile);
    let list = await readUidList(dir);
    // The uidlist is lost or new: new UIDVALIDITY, so no old UID can mean another message.
    list ??= await withLockFile(join(dir, LOCK_FILE), async () => {
      const again = await readUidList(dir);
      if (again) return again;
      const fresh: UidList = { uidValidity: await allocateUidValidity(userRoot, cached?.state.uidValidity ?? 0), uidNext: 1, uids: new Map() };
      await writeUidList(dir, fresh);
      return fresh;
    });
    const usable = cached !== null && cached.state.uidValidity === list.uidValidity;
    const state = usable ? FolderState.fromSnapshot(cached.state) : new FolderState(list.uidValidity);
    // HIGHESTMODSEQ must never go down (RFC 7162 3.1.2.1), yet the cache may be stale (not
    // fsync'd) or gone. Restarting at the clock in microseconds stays above every MODSEQ
    // given out before unless the folder saw over a million changes per second.
    state.highestModseq = Math.max(state.highestModseq, Date.now() * 1000);
    if (!usable) state.vanishedFloor = state.highestModseq; // earlier expunges are unknown
    else if (!cached.clean) state.touchAll();
    const index = new FolderIndex(dir, cacheFile, userRoot, state, list);
    await index.sync(true);
    // Mark the cache unclean before serving: a crash from now on must not trust it.
    await index.cache.write(false);
    return index;
  }

  get uidValidity(): number { return this.state.uidValidity; }

  /** Waits for running operations and writes the cache marked clean (keeps MODSEQs). */
  close(): Promise<void> { return this.run(() => this.cache.close()); }

  /** Messages in UID order; position + 1 is the sequence number. */
  messages(): readonly IndexedMessage[] { return this.state.sorted(); }

  get highestModseq(): number { return this.state.highestModseq; }

  flagsOf(m: IndexedMessage): string[] { return lettersToFlags(m.letters, this.keywords); }

  /** Keywords defined in this folder (for PERMANENTFLAGS / FLAGS). */
  definedKeywords(): string[] { return this.keywords.filter((k) => k !== undefined); }

  pathOf(m: IndexedMessage): string { return join(this.dir, m.isNew ? 'new' : 'cur', m.filename); }

  vanishedSince(modseq: number): { uids: number[]; complete: boolean } { return this.state.vanishedSince(modseq); }

  status(): FolderStatus {
    const msgs = this.state.sorted();
    return {
      messages: msgs.length, uidNext: this.uids.uidNext, uidValidity: this.uidValidity,
      unseen: msgs.filter((m) => !m.letters.includes('S')).length,
      size: msgs.reduce((n, m) => n + m.size, 0), highestModseq: this.state.highestModseq,
    };
  }

  /** Serialises this instance's operations: sessions of one process share the index. */
  private run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Reconciles with the Maildir (other processes deliver, delete and rename). */
  sync(force = false): Promise<FolderChange> { return this.run(() => this.syncNow(force)); }

  private async syncNow(force: boolean): Promise<FolderChange> {
    const st = await Promise.all(['new', 'cur'].map((s) => stat(join(this.dir, s))));
    const mtimes = st.map((s) => s.mtimeMs).join(' ');
    const newest = Math.max(...st.map((s) => s.mtimeMs));
    if (!force && mtimes === this.lastMtimes && newest < this.lastScanStart - MTIME_SLACK_MS) return this.noChange();
    const scanStart = Date.now();
    const files = await listMaildir(this.dir);
    const byId = new Map<string, (typeof files)[number]>();
    for (const f of files) if (!byId.has(f.id)) byId.set(f.id, f);
    if ([...byId.keys()].some((id) => !this.uids.uids.has(id))) {
      this.uids = await assignUids(this.dir, [...byId.keys()], this.uids, new Set(byId.keys()));
    }
    if (this.uids.uidValidity !== this.state.uidValidity) this.state = new FolderState(this.uids.uidValidity, this.state.highestModseq);
    this.keywords = await readKeywords(this.dir);
    const scan: ScannedMessage[] = [];
    for (const f of byId.values()) {
      let { filename, isNew } = f;
      if (isNew) {
        // IMAP takes new/ messages into cur/ (Maildir spec). Not fsync'd: a crash leaves the
        // file in new/, which is still the same message with the same UID.
        const to = `${filename}:2,`;
        if (await rename(f.path, join(this.dir, 'cur', to)).then(() => true, () => false)) [filename, isNew] = [to, false];
      }
      scan.push({ uid: this.uids.uids.get(f.id)!, id: f.id, filename, isNew, size: f.size, time: f.time, letters: normalizeLetters(f.flags) });
    }
    const change = this.state.applyScan(scan);
    this.lastMtimes = mtimes;
    this.lastScanStart = scanStart;
    await this.publish(change);
    return change;
  }

  private noChange(): FolderChange {
    return { added: [], expunged: [], flagged: [], highestModseq: this.state.highestModseq };
  }

  private async publish(change: FolderChange): Promise<void> {
    if (change.added.length + change.expunged.length + change.flagged.length === 0) return;
    this.cache.changed();
    this.emit('change', change);
  }

  /** Keywords by letter index (holes kept), to decode another folder's letters. */
  definedKeywordSlots(): readonly string[] { return this.keywords; }

  /** A flag -> letter mapping for `flags`, giving new keywords letters durably. */
  letterMapper(flags: readonly string[]): Promise<(flag: string) => string> { return this.run(() => this.lettersFor(flags)); }

  private async lettersFor(flags: readonly string[]): Promise<(flag: string) => string> {
    const kws = flags.filter((f) => systemFlag(f) === null);
    if (kws.some((k) => keywordIndex(this.keywords, k) < 0)) {
      this.keywords = await withLockFile(join(this.dir, LOCK_FILE), () => ensureKeywords(this.dir, kws));
    }
    return (flag) => SYSTEM_FLAGS.get(systemFlag(flag) ?? '') ?? String.fromCharCode(97 + keywordIndex(this.keywords, flag));
  }

  /**
   * STORE (RFC 9051 6.4.6) with UNCHANGEDSINCE (RFC 7162 3.1.3): renames the files, fsyncs
   * once, then bumps MODSEQs. A file another program moved meanwhile is retried after a
   * re-sync (its MODSEQ may then fail UNCHANGEDSINCE); one removed meanwhile is skipped.
   */
  setFlags(uids: readonly number[], mode: FlagMode, flags: readonly string[], unchangedSince?: number): Promise<StoreResult> {
    return this.run(async () => {
      // No sync first (a scan of a big folder per STORE): any program that changed a
      // message's flags renamed its file, so our rename fails and the retry sees it.
      const letterOf = await this.lettersFor(flags);
      const failed: number[] = [];
      const changed: IndexedMessage[] = [];
      let pending = uids;
      for (let attempt = 0; attempt < 2 && pending.length > 0; attempt++) {
        if (attempt > 0) await this.syncNow(true);
        const targets: Array<{ m: IndexedMessage; letters: string }> = [];
        for (const uid of pending) {
          const m = this.state.messages.get(uid);
          if (!m) continue;
          if (unchangedSince !== undefined && m.modseq > unchangedSince) { failed.push(uid); continue; }
          const letters = applyFlags(m.letters, mode, flags, letterOf);
          if (letters !== m.letters) targets.push({ m, letters });
        }
        const { done, missed } = await renameForFlags(this.dir, targets);
        changed.push(...done.map((d) => this.state.setLetters(d.uid, d.letters, d.filename)!));
        pending = missed;
      }
      await this.publish({ added: [], expunged: [], flagged: changed.map((m) => m.uid), highestModseq: this.state.highestModseq });
      return { changed: changed.sort((a, b) => a.uid - b.uid), failed };
    });
  }

  /** APPEND (RFC 9051 6.3.12, RFC 4315 APPENDUID): durable delivery, then a durable UID. */
  append(data: Buffer | AsyncIterable<Buffer>, flags: readonly string[] = [], internalDate?: number): Promise<{ uidValidity: number; uid: number }> {
    return this.run(async () => {
      const letterOf = await this.lettersFor(flags);
      const letters = normalizeLetters(flags.map(letterOf).join(''));
      const msg = await deliverToMaildir(this.dir, data, { flags: letters, now: internalDate });
      const [added] = await this.adoptNow([{ id: msg.id, filename: msg.filename, isNew: msg.isNew, size: msg.size, time: parseMaildirName(msg.filename).time ?? msg.time, letters }]);
      await addUsage(this.userRoot, { bytes: msg.size, count: 1 });
      return { uidValidity: this.uidValidity, uid: added!.uid };
    });
  }

  /** Registers files placed durably in this folder (COPY target); returns them with UIDs. */
  adopt(files: readonly PlacedFile[]): Promise<IndexedMessage[]> { return this.run(() => this.adoptNow(files)); }

  private async adoptNow(files: readonly PlacedFile[]): Promise<IndexedMessage[]> {
    this.uids = await assignUids(this.dir, files.map((f) => f.id), this.uids);
    const out = files.map((f) => this.state.add({ ...f, uid: this.uids.uids.get(f.id)! }));
    await this.publish({ added: out.map((m) => m.uid), expunged: [], flagged: [], highestModseq: this.state.highestModseq });
    return out;
  }

  /**
   * EXPUNGE / UID EXPUNGE (RFC 9051 6.4.3, RFC 4315): removes \Deleted messages (or, for
   * MOVE, the given ones regardless) durably; returns the UIDs now gone.
   */
  expunge(uids?: readonly number[], opts: { onlyDeleted?: boolean } = {}): Promise<number[]> {
    return this.run(async () => {
      await this.syncNow(false);
      const wanted = uids ? new Set(uids) : null;
      const onlyDeleted = opts.onlyDeleted ?? true;
      const doomed = this.state.sorted().filter((m) => (!wanted || wanted.has(m.uid)) && (!onlyDeleted || m.letters.includes('T')));
      if (doomed.length === 0) return [];
      await unlinkMessages(this.dir, doomed);
      const gone = this.state.remove(doomed.map((m) => m.uid));
      await addUsage(this.userRoot, { bytes: -doomed.reduce((n, m) => n + m.size, 0), count: -doomed.length });
      await this.publish({ added: [], expunged: gone, flagged: [], highestModseq: this.state.highestModseq });
      return gone;
    });
  }
}
