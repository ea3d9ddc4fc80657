// The rebuildable cache of a folder's IMAP state under index/ (MODSEQs, expunge history).
// Losing it costs MODSEQ history, never UIDs: those live in the folder's tandem-uidlist.
// Writes are batched; a cache not closed cleanly is trusted only for MODSEQ history.
import { readFile, writeFile, rename, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FolderSnapshot } from './state.ts';

const VERSION = 1;

/**
 * Reads a cache file; null when missing, corrupt or of another version (rebuild then).
 * `clean` is true only when the writer closed it: otherwise changes after the last write
 * (a flag set and cleared again, say) may be missing from it.
 */
export async function readCache(file: string): Promise<{ state: FolderSnapshot; clean: boolean } | null> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const doc = JSON.parse(text) as { version?: number; clean?: boolean; state?: FolderSnapshot };
    return doc.version === VERSION && doc.state && Array.isArray(doc.state.messages) ? { state: doc.state, clean: doc.clean === true } : null;
  } catch {
    return null;
  }
}

/**
 * Replaces the cache atomically (temp + rename) but without fsync: it is a cache, and
 * paying an fsync per flag change for it would double the cost of STORE.
 */
export async function writeCache(file: string, state: FolderSnapshot, clean: boolean): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await writeFile(tmp, JSON.stringify({ version: VERSION, clean, state }), { mode: 0o600 });
  await rename(tmp, file).catch(async (err: unknown) => {
    await unlink(tmp).catch(() => undefined);
    throw err;
  });
}

/**
 * Writes a folder's cache at most once per `delayMs` after changes: the whole state is
 * rewritten each time, and per STORE that would cost O(messages) on a large folder.
 */
export class CacheWriter {
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly file: string, private readonly snapshot: () => FolderSnapshot, private readonly delayMs = 500) {}

  /** Something changed: write (marked unclean) soon. */
  changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.write(false);
    }, this.delayMs);
    this.timer.unref();
  }

  /** Writes now; `clean` only from close(), when no change can follow unrecorded. */
  write(clean: boolean): Promise<void> {
    this.writing = this.writing.then(() => writeCache(this.file, this.snapshot(), clean)).catch(() => undefined);
    return this.writing;
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.write(true);
  }
}

export async function removeCache(file: string): Promise<void> {
  await unlink(file).catch(() => undefined);
}
