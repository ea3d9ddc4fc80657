// The durable UID map of one folder, `tandem-uidlist` inside the Maildir folder (like
// Dovecot's dovecot-uidlist): it follows the volume on failover and survives losing index/.
//   line 1:  "T1 V<uidvalidity> N<uidnext>"      then one "<uid> <maildir id>" per line
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { replaceFileDurable } from '../../../lib/durable.ts';
import { withLockFile } from './lock.ts';
import { listMaildir } from '../../storage/maildir.ts';

export const UIDLIST_FILE = 'tandem-uidlist';

export interface UidList {
  readonly uidValidity: number;
  /** The next UID to assign: above every UID ever written, even ones whose line was torn. */
  readonly uidNext: number;
  /** Maildir id -> UID. */
  readonly uids: ReadonlyMap<string, number>;
}

/**
 * Parses a uidlist. Pure. A last line without its newline is ignored (a torn append by a
 * killed writer); its UID still counts towards uidNext if it parsed, so it is never reused.
 */
export function parseUidList(text: string): UidList | null {
  const lines = text.split('\n');
  const header = /^T1 V(\d+) N(\d+)$/.exec(lines[0] ?? '');
  if (!header) return null;
  const uids = new Map<string, number>();
  let uidNext = Number(header[2]);
  for (let i = 1; i < lines.length; i++) {
    const m = /^(\d+) (\S+)$/.exec(lines[i]!);
    if (!m) continue;
    const uid = Number(m[1]);
    uidNext = Math.max(uidNext, uid + 1);
    const complete = i < lines.length - 1;
    // The first line for an id wins: a duplicate could only come from a torn compaction.
    if (complete && !uids.has(m[2]!)) uids.set(m[2]!, uid);
  }
  return { uidValidity: Number(header[1]), uidNext, uids };
}

/** The full text of a uidlist (used to create and to compact). Pure. */
export function formatUidList(list: UidList): string {
  const body = [...list.uids].sort((a, b) => a[1] - b[1]).map(([id, uid]) => `${uid} ${id}\n`).join('');
  return `T1 V${list.uidValidity} N${list.uidNext}\n${body}`;
}

/** Reads the uidlist of folder `dir`; null when missing or unreadable (a rebuild follows). */
export async function readUidList(dir: string): Promise<UidList | null> {
  const text = await readFile(join(dir, UIDLIST_FILE), 'utf8').catch(() => null);
  return text === null ? null : parseUidList(text);
}

/** Creates or replaces the uidlist atomically and durably. */
export async function writeUidList(dir: string, list: UidList): Promise<void> {
  await replaceFileDurable(join(dir, UIDLIST_FILE), formatUidList(list));
}

/**
 * Appends UID lines and fsyncs before returning: a UID handed to a client is on disk.
 * Call under the folder lock. A newline first if a killed writer left a torn line.
 */
export async function appendUids(dir: string, entries: ReadonlyArray<readonly [string, number]>): Promise<void> {
  if (entries.length === 0) return;
  const fh = await open(join(dir, UIDLIST_FILE), 'a+');
  try {
    const { size } = await fh.stat();
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    await fh.write(prefix + entries.map(([id, uid]) => `${uid} ${id}\n`).join(''));
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** A fresh UIDVALIDITY: the time in seconds, above `previous` when one is known. */
export function newUidValidity(previous = 0, now = Date.now()): number {
  return Math.max(Math.floor(now / 1000), previous + 1) >>> 0;
}

/** The lock that serialises uidlist and keyword writers of one folder across processes. */
export const LOCK_FILE = 'tandem-uidlist.lock';

/**
 * Gives UIDs to `ids` that have none, in the given (delivery) order, under the folder lock,
 * and returns the list as now on disk. The file is re-read under the lock: another process
 * may have assigned some meanwhile. When `live` (the ids the caller's scan found) is given
 * and dead lines outnumber them by 1000+, the file is compacted to the ids on disk; the
 * header keeps UIDNEXT, so no UID comes back. A file deleted under us is rewritten whole
 * from `known` (same UIDVALIDITY and UIDs), so it never lacks its header.
 */
export async function assignUids(dir: string, ids: readonly string[], known: UidList, live?: ReadonlySet<string>): Promise<UidList> {
  return withLockFile(join(dir, LOCK_FILE), async () => {
    const onDisk = await readUidList(dir);
    const list = onDisk ?? known;
    const uids = new Map(list.uids);
    let uidNext = list.uidNext;
    const added: Array<[string, number]> = [];
    for (const id of ids) {
      if (!uids.has(id)) {
        uids.set(id, uidNext);
        added.push([id, uidNext++]);
      }
    }
    const next: UidList = { uidValidity: list.uidValidity, uidNext, uids };
    if (live && uids.size > 2 * live.size + 1000) {
      // Listed again under the lock: a file another process added after the caller's
      // scan already has its line, and dropping that line would change its UID.
      const present = new Set((await listMaildir(dir)).map((f) => f.id));
      await writeUidList(dir, { ...next, uids: new Map([...uids].filter(([id]) => present.has(id))) });
    } else if (!onDisk) await writeUidList(dir, next);
    else await appendUids(dir, added);
    return next;
  });
}
