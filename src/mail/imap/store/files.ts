// The file operations behind STORE and EXPUNGE: renames and unlinks made durable with one
// fsync per directory, tolerant of other programs (POP3, mutt) moving the files meanwhile.
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { listMaildir } from '../../storage/maildir.ts';
import { fsyncDir } from '../../../lib/durable.ts';
import type { IndexedMessage } from './state.ts';

const pathOf = (dir: string, m: IndexedMessage): string => join(dir, m.isNew ? 'new' : 'cur', m.filename);
const isMissing = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ENOENT';

/** A file name with new info letters: the part before ":2," never changes (Maildir spec). */
export function withLetters(filename: string, letters: string): string {
  return `${filename.split(':2,')[0]}:2,${letters}`;
}

/**
 * Renames each message to carry its new letters, then fsyncs cur/ (and new/ when a file
 * left it) so the change is on disk before STORE answers. A file that is gone from where
 * the index thought is "missed": the caller re-syncs and retries or skips it.
 */
export async function renameForFlags(dir: string, targets: ReadonlyArray<{ m: IndexedMessage; letters: string }>): Promise<{ done: Array<{ uid: number; letters: string; filename: string }>; missed: number[] }> {
  const done: Array<{ uid: number; letters: string; filename: string }> = [];
  const missed: number[] = [];
  let fromNew = false;
  for (const { m, letters } of targets) {
    const filename = withLetters(m.filename, letters);
    try {
      await rename(pathOf(dir, m), join(dir, 'cur', filename));
    } catch (err) {
      if (!isMissing(err)) throw err;
      missed.push(m.uid);
      continue;
    }
    fromNew ||= m.isNew;
    done.push({ uid: m.uid, letters, filename });
  }
  if (done.length > 0) await fsyncDir(join(dir, 'cur'));
  if (fromNew) await fsyncDir(join(dir, 'new'));
  return { done, missed };
}

/**
 * Unlinks the messages durably. One that another program renamed meanwhile is found again
 * by its id, so an expunged UID can never come back at the next sync.
 */
export async function unlinkMessages(dir: string, msgs: readonly IndexedMessage[]): Promise<void> {
  const touched = new Set<string>();
  const missed = new Set<string>();
  for (const m of msgs) {
    try {
      await unlink(pathOf(dir, m));
      touched.add(m.isNew ? 'new' : 'cur');
    } catch (err) {
      if (!isMissing(err)) throw err;
      missed.add(m.id);
    }
  }
  if (missed.size > 0) {
    for (const f of await listMaildir(dir)) {
      if (!missed.has(f.id)) continue;
      await unlink(f.path).catch((err: unknown) => { if (!isMissing(err)) throw err; });
      touched.add(f.isNew ? 'new' : 'cur');
    }
  }
  await Promise.all([...touched].map((sub) => fsyncDir(join(dir, sub))));
}
