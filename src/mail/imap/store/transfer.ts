// COPY and MOVE between folder indexes (RFC 9051 6.4.7, RFC 6851, RFC 4315 COPYUID):
// hard links where possible (no data copied), fsync'd before the target gets UIDs.
import { link, copyFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { newUniqueName } from '../../storage/maildir.ts';
import { addUsage } from '../../storage/quota.ts';
import { fsyncDir } from '../../../lib/durable.ts';
import { lettersToFlags, normalizeLetters } from './flags.ts';
import type { FolderIndex, PlacedFile } from './folder-index.ts';
import type { IndexedMessage } from './state.ts';

/** COPYUID data: the target's UIDVALIDITY and [source UID, target UID] pairs in UID order. */
export interface CopyResult { uidValidity: number; pairs: Array<[number, number]> }

/** Hard link, or a real copy when the folders sit on different file systems (EXDEV). */
async function place(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await copyFile(from, to);
  }
}

/**
 * Copies messages `uids` of `from` into `to`. Each copy gets a new Maildir id (so copying
 * into the same folder works) that keeps the INTERNALDATE; keywords are re-lettered for
 * the target's dovecot-keywords. A source renamed by another program meanwhile is found
 * again after a forced sync; one removed meanwhile is skipped (no pair for it).
 */
export async function copyMessages(from: FolderIndex, uids: readonly number[], to: FolderIndex, userRoot: string): Promise<CopyResult> {
  await from.sync();
  const wanted = new Set(uids);
  const sources = from.messages().filter((m) => wanted.has(m.uid));
  const placed: PlacedFile[] = [];
  const srcUids: number[] = [];
  const letterOf = await to.letterMapper(sources.flatMap((m) => from.flagsOf(m)));
  let bytes = 0;
  let pending = sources;
  for (let attempt = 0; attempt < 2 && pending.length > 0; attempt++) {
    if (attempt > 0) {
      // Renamed by another program since the last sync: find them under their new names.
      await from.sync(true);
      const again = new Set(pending.map((m) => m.uid));
      pending = from.messages().filter((m) => again.has(m.uid));
    }
    const missed: IndexedMessage[] = [];
    for (const m of pending) {
      const kept = [...m.letters].filter((l) => l === 'P').join('');
      const letters = normalizeLetters(kept + lettersToFlags(m.letters, from.definedKeywordSlots()).map(letterOf).join(''));
      const id = newUniqueName(Math.floor(m.time));
      const filename = `${id},S=${m.size}:2,${letters}`;
      try {
        await place(from.pathOf(m), join(to.dir, 'cur', filename));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        missed.push(m);
        continue;
      }
      placed.push({ id, filename, isNew: false, size: m.size, time: m.time, letters });
      srcUids.push(m.uid);
      bytes += m.size;
    }
    pending = missed;
  }
  if (placed.length === 0) return { uidValidity: to.uidValidity, pairs: [] };
  try {
    await fsyncDir(join(to.dir, 'cur'));
  } catch (err) {
    await Promise.all(placed.map((p) => unlink(join(to.dir, 'cur', p.filename)).catch(() => undefined)));
    throw err;
  }
  const added = await to.adopt(placed);
  await addUsage(userRoot, { bytes, count: placed.length });
  const pairs = srcUids.map((uid, i): [number, number] => [uid, added[i]!.uid]).sort((a, b) => a[0] - b[0]);
  return { uidValidity: to.uidValidity, pairs };
}

/** MOVE: copy durably, then expunge the sources (RFC 6851 3.3: the copy comes first). */
export async function moveMessages(from: FolderIndex, uids: readonly number[], to: FolderIndex, userRoot: string): Promise<CopyResult & { expunged: number[] }> {
  const copied = await copyMessages(from, uids, to, userRoot);
  const expunged = await from.expunge(copied.pairs.map(([src]) => src), { onlyDeleted: false });
  return { ...copied, expunged };
}
