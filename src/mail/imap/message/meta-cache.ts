// The meta cache: MessageMeta by Maildir id, in memory (LRU bounded by bytes and entries)
// and on disk under index/imap-meta/. A message's content never changes after delivery,
// so an entry never goes stale; it is only ever missing, unreadable or evicted.
//
// Disk entries are written atomically (temp file + rename) without fsync: the cache is
// rebuildable, and a crash leaves either the old state or a whole file. Two processes
// writing the same entry each rename their own temp file; the last rename wins and both
// contents are equal. A corrupt, truncated or foreign file reads as a miss (reparse).
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MessageMeta } from './api.ts';

/** Concurrent background cache writes, and the most waiting. */
const WRITERS = 1;
const MAX_QUEUED = 10_000;

/** Bump when MessageMeta's shape or its derivation changes: old entries then read as misses. */
export const META_VERSION = 1;

export interface MetaCacheOptions {
  /** Directory of the disk cache (e.g. DATA/index/imap-meta); null = memory only. */
  readonly dir: string | null;
  /** Most entries kept in memory. */
  readonly maxEntries?: number;
  /** Most bytes (JSON size) kept in memory. */
  readonly maxBytes?: number;
}

interface DiskEntry { v: number; id: string; meta: MessageMeta }

export class MetaCache {
  private readonly lru = new Map<string, { meta: MessageMeta; weight: number }>();
  private bytes = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly pendingWrites = new Set<Promise<void>>();
  /** Counters for tests and the benchmark. */
  readonly stats = { memoryHits: 0, diskHits: 0, misses: 0, diskErrors: 0 };

  constructor(private readonly opts: MetaCacheOptions) {
    // A 10 000-message folder must fit: SEARCH and FETCH ENVELOPE walk whole folders, and a
    // cache smaller than the folder turns every walk into one file read per message.
    this.maxEntries = opts.maxEntries ?? 50_000;
    this.maxBytes = opts.maxBytes ?? 128 * 1024 * 1024;
  }

  /** The file of one entry: hashed, so any Maildir id is a safe name, fanned out by 256. */
  fileOf(id: string): string | null {
    if (this.opts.dir === null) return null;
    const h = createHash('sha256').update(id).digest('hex');
    return join(this.opts.dir, h.slice(0, 2), `${h.slice(2, 40)}.json`);
  }

  /** From memory, else from disk (then kept in memory); null on a miss. */
  async get(id: string): Promise<MessageMeta | null> {
    const hit = this.lru.get(id);
    if (hit) {
      this.lru.delete(id);
      this.lru.set(id, hit);
      this.stats.memoryHits++;
      return hit.meta;
    }
    const file = this.fileOf(id);
    if (file !== null) {
      const text = await readFile(file, 'utf8').catch(() => null);
      const meta = text === null ? null : decode(text, id);
      if (meta !== null && text !== null) {
        this.stats.diskHits++;
        this.remember(id, meta, text.length);
        return meta;
      }
    }
    this.stats.misses++;
    return null;
  }

  /**
   * Stores a freshly parsed entry in memory now and on disk in the background: a queue
   * drained by WRITERS workers (one: each write is a create and a rename), so cache writes
   * do not crowd out the reads a FETCH or SEARCH is waiting for. Past MAX_QUEUED, disk
   * writes are dropped (the entry is rebuildable).
   */
  put(id: string, meta: MessageMeta): void {
    const text = JSON.stringify({ v: META_VERSION, id, meta } satisfies DiskEntry);
    this.remember(id, meta, text.length);
    const file = this.fileOf(id);
    if (file === null || this.queue.size >= MAX_QUEUED) return;
    this.queue.set(file, text);
    while (this.writers < WRITERS && this.queue.size > 0) {
      this.writers++;
      const worker = this.drain().finally(() => { this.writers--; this.pendingWrites.delete(worker); });
      this.pendingWrites.add(worker);
    }
  }

  private readonly queue = new Map<string, string>();
  private writers = 0;

  private async drain(): Promise<void> {
    for (let next = this.queue.entries().next(); !next.done; next = this.queue.entries().next()) {
      const [file, text] = next.value;
      this.queue.delete(file);
      await writeAtomically(file, text).catch(() => { this.stats.diskErrors++; });
    }
  }

  /** Waits for background disk writes. */
  async flush(): Promise<void> {
    while (this.pendingWrites.size > 0) await Promise.all([...this.pendingWrites]);
  }

  private remember(id: string, meta: MessageMeta, weight: number): void {
    if (weight > this.maxBytes / 4) return; // one huge structure must not flush everything else
    const old = this.lru.get(id);
    if (old) { this.bytes -= old.weight; this.lru.delete(id); }
    this.lru.set(id, { meta, weight });
    this.bytes += weight;
    while (this.lru.size > this.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.lru.keys().next();
      if (oldest.done) break;
      this.bytes -= this.lru.get(oldest.value)!.weight;
      this.lru.delete(oldest.value);
    }
  }
}

/** Fan-out directories known to exist (a mkdir per write would double its cost). */
const madeDirs = new Set<string>();

async function writeAtomically(file: string, text: string): Promise<void> {
  const dir = join(file, '..');
  if (!madeDirs.has(dir)) {
    await mkdir(dir, { recursive: true });
    if (madeDirs.size < 10_000) madeDirs.add(dir);
  }
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, text, { mode: 0o600 }).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      // index/ is documented as safe to delete, also while running: make the directory again.
      await mkdir(dir, { recursive: true });
      await writeFile(tmp, text, { mode: 0o600 });
    });
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** A disk entry's meta when it is well-formed and for `id`; null otherwise. */
function decode(text: string, id: string): MessageMeta | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof doc !== 'object' || doc === null) return null;
  const e = doc as Partial<DiskEntry>;
  if (e.v !== META_VERSION || e.id !== id || typeof e.meta !== 'object' || e.meta === null) return null;
  const m = e.meta as Partial<MessageMeta>;
  const ok = typeof m.envelope === 'object' && m.envelope !== null && typeof m.bodyStructure === 'object' && m.bodyStructure !== null
    && typeof m.offsets === 'object' && m.offsets !== null && typeof m.offsets.end === 'number' && Array.isArray(m.offsets.children)
    && typeof m.baseSubject === 'string' && Array.isArray(m.references) && (m.sentAtMs === null || typeof m.sentAtMs === 'number');
  return ok ? (m as MessageMeta) : null;
}
