// COPY and MOVE between folder indexes (RFC 9051 6.4.7, RFC 6851, RFC 4315 COPYUID):
// hard links where possible (no data copied), fsync'd before the target gets UIDs.
import { link, copyFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { newUniqueName } from '../../storage/maildir.ts';
import { addUsage } from '../../storage/quota.ts';
import { fsyncDir } from '../../../lib/durable.ts';
import { lettersToFlags, normalizeLetters } from './flags.ts';
import type { FolderIndex, PlacedFile } from './folder-index.ts';

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
 * the target's dovecot-keywords. Messages removed by others meanwhile are skipped.
 */
export async function copyMessages(from: FolderIndex, uids: readonly number[], to: FolderIndex, userRoot: string): Promise<CopyResult> {
  await from.sync();
  const wanted = new Set(uids);
  const sources = from.messages().filter((m) => wanted.has(m.uid));
  const placed: PlacedFile[] = [];
  const srcUids: number[] = [];
  const letterOf = await to.letterMapper(sources.flatMap((m) => from.flagsOf(m)));
  let bytes = 0;
  for (const m of sources) {
    const kept = [...m.letters].filter((l) => l === 'P').join('');
    const letters = normalizeLetters(kept + lettersToFlags(m.letters, from.definedKeywordSlots()).map(letterOf).join(''));
    const id = newUniqueName(Math.floor(m.time));
    const filename = `${id},S=${m.size}:2,${letters}`;
    try {
      await place(from.pathOf(m), join(to.dir, 'cur', filename));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // expunged by another process
      throw err;
    }
    placed.push({ id, filename, isNew: false, size: m.size, time: m.time, letters });
    srcUids.push(m.uid);
    bytes += m.size;
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
  return { uidValidity: to.uidValidity, pairs: srcUids.map((uid, i) => [uid, added[i]!.uid]) };
}

/** MOVE: copy durably, then expunge the sources (RFC 6851 3.3: the copy comes first). */
export async function moveMessages(from: FolderIndex, uids: readonly number[], to: FolderIndex, userRoot: string): Promise<CopyResult & { expunged: number[] }> {
  const copied = await copyMessages(from, uids, to, userRoot);
  const expunged = await from.expunge(copied.pairs.map(([src]) => src), { onlyDeleted: false });
  return { ...copied, expunged };
}
