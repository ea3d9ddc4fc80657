// The rebuildable cache of a folder's IMAP state under index/ (MODSEQs, expunge history).
// Losing it costs MODSEQ history, never UIDs: those live in the folder's tandem-uidlist.
import { readFile, writeFile, rename, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FolderSnapshot } from './state.ts';

const VERSION = 1;

/** Reads a cache file; null when missing, corrupt or of another version (rebuild then). */
export async function readCache(file: string): Promise<FolderSnapshot | null> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const doc = JSON.parse(text) as { version?: number; state?: FolderSnapshot };
    return doc.version === VERSION && doc.state && Array.isArray(doc.state.messages) ? doc.state : null;
  } catch {
    return null;
  }
}

/**
 * Replaces the cache atomically (temp + rename) but without fsync: it is a cache, and
 * paying an fsync per flag change for it would double the cost of STORE. After a power
 * loss the older copy is reconciled with the Maildir by the next sync.
 */
export async function writeCache(file: string, state: FolderSnapshot): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await writeFile(tmp, JSON.stringify({ version: VERSION, state }), { mode: 0o600 });
  await rename(tmp, file).catch(async (err: unknown) => {
    await unlink(tmp).catch(() => undefined);
    throw err;
  });
}

export async function removeCache(file: string): Promise<void> {
  await unlink(file).catch(() => undefined);
}
