// Maildir++ storage: durable delivery and message listing (DESIGN 3.3). Files are
// stored exactly as received (CRLF line ends), so a message's size in POP3 and IMAP is
// its file size. Names follow the Maildir spec plus Courier's ",S=<size>" so quota
// and sizes need no stat:  <sec>.M<usec>P<pid>Q<seq>R<rand>.<host>,S=<size>[:2,<flags>]
// The part before ",S=" (the "base name") never changes and is the POP3 UIDL.
import { mkdir, readdir, stat, open, unlink, rename } from 'node:fs/promises';
import { createReadStream, type ReadStream } from 'node:fs';
import { join } from 'node:path';
import { hostname as osHostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { fsyncDir, writeFileSynced, linkDurable, fsyncDirNow } from '../../lib/durable.ts';

/** One message file in a Maildir folder. */
export interface MaildirMessage {
  /** The stable unique name (without ",S=..." and ":2,flags"). */
  readonly id: string;
  /** Current file name (in new/ or cur/). */
  readonly filename: string;
  readonly path: string;
  readonly size: number;
  /** Maildir flags: D draft, F flagged, P passed, R replied, S seen, T trashed. */
  readonly flags: string;
  readonly isNew: boolean;
  /** Delivery time in ms, from the file name (or mtime when the name has none). */
  readonly time: number;
}

const safeHost = osHostname().replace(/\//g, '\\057').replace(/:/g, '\\072').replace(/,/g, '\\054');
let sequence = 0;

/** A new unique base name for a message delivered now. */
export function newUniqueName(now = Date.now()): string {
  const sec = Math.floor(now / 1000);
  const usec = (now % 1000) * 1000 + Math.floor(Math.random() * 1000);
  sequence = (sequence + 1) % 1e9;
  return `${sec}.M${usec}P${process.pid}Q${sequence}R${randomBytes(6).toString('hex')}.${safeHost}`;
}

/** Parses a Maildir file name into id, size and flags. Pure. */
export function parseMaildirName(filename: string): { id: string; size: number | null; flags: string; time: number | null } {
  const colon = filename.indexOf(':2,');
  const base = colon >= 0 ? filename.slice(0, colon) : filename;
  const flags = colon >= 0 ? filename.slice(colon + 3) : '';
  const sizeMatch = /,S=(\d+)/.exec(base);
  const id = base.replace(/,[A-Za-z]=[^,]*/g, '');
  // Delivery time from "<sec>.M<usec>...": microseconds order messages of one second.
  const when = /^(\d+)\.(?:M(\d{1,6})[^0-9])?/.exec(base);
  const time = when ? Number(when[1]) * 1000 + (when[2] ? Number(when[2]) / 1000 : 0) : null;
  return { id, size: sizeMatch ? Number(sizeMatch[1]) : null, flags, time };
}

/** Makes a Maildir folder (cur, new, tmp) durable if it does not exist yet. */
export async function ensureMaildir(dir: string): Promise<void> {
  try {
    await stat(join(dir, 'tmp'));
    return;
  } catch {
    // create below
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const sub of ['tmp', 'new', 'cur']) await mkdir(join(dir, sub), { recursive: true, mode: 0o700 });
  // The new subdirectories must survive a crash before any message is acknowledged.
  await Promise.all([fsyncDirNow(dir), fsyncDirNow(join(dir, '..'))]);
}

/** The directory of a folder inside a user's Maildir++ root ("" or "INBOX" = the root). */
export function folderDir(root: string, folder = ''): string {
  if (folder === '' || folder.toUpperCase() === 'INBOX') return root;
  return join(root, folder.startsWith('.') ? folder : `.${folder}`);
}

/**
 * Delivers one message durably: write to tmp/, fsync the file, link it into new/,
 * fsync new/. When this resolves the message survives a crash; the caller may reply
 * 250. Returns the final path and size.
 */
export async function deliverToMaildir(dir: string, data: Buffer | AsyncIterable<Buffer>, opts: { flags?: string; now?: number } = {}): Promise<MaildirMessage> {
  await ensureMaildir(dir);
  const now = opts.now ?? Date.now();
  const id = newUniqueName(now);
  const tmpPath = join(dir, 'tmp', id);
  const size = await writeFileSynced(tmpPath, data);
  const flags = opts.flags ? [...new Set(opts.flags.split(''))].sort().join('') : '';
  const filename = flags ? `${id},S=${size}:2,${flags}` : `${id},S=${size}`;
  const sub = flags ? 'cur' : 'new';
  const path = join(dir, sub, filename);
  // link+unlink rather than rename: link fails if the name exists, never overwrites.
  await linkDurable(tmpPath, path);
  await unlink(tmpPath).catch(() => undefined);
  return { id, filename, path, size, flags, isNew: sub === 'new', time: now };
}

/** Lists the messages of one folder (new/ and cur/), oldest first. */
export async function listMaildir(dir: string): Promise<MaildirMessage[]> {
  const out: MaildirMessage[] = [];
  for (const sub of ['new', 'cur'] as const) {
    let names: string[];
    try {
      names = await readdir(join(dir, sub));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    for (const filename of names) {
      if (filename.startsWith('.')) continue;
      const parsed = parseMaildirName(filename);
      const path = join(dir, sub, filename);
      let size = parsed.size;
      let time = parsed.time;
      if (size === null || time === null) {
        const st = await stat(path).catch(() => null);
        if (!st) continue; // removed meanwhile
        size ??= st.size;
        time ??= st.mtimeMs;
      }
      out.push({ id: parsed.id, filename, path, size, flags: parsed.flags, isNew: sub === 'new', time });
    }
  }
  out.sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return out;
}

export function openMessage(path: string, opts: { start?: number; end?: number } = {}): ReadStream {
  return createReadStream(path, opts);
}

/** Reads a whole message into memory (for small messages and tests). */
export async function readMessage(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

/**
 * Removes messages and makes the removal durable (one fsync per directory touched).
 * Already-missing files are skipped: another session may have removed them.
 */
export async function removeMessages(paths: readonly string[]): Promise<number> {
  const dirs = new Set<string>();
  let removed = 0;
  for (const p of paths) {
    try {
      await unlink(p);
      removed++;
      dirs.add(join(p, '..'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  await Promise.all([...dirs].map((d) => fsyncDir(d)));
  return removed;
}

/** Moves a message from new/ to cur/ with the given flags; returns the new path. */
export async function setMaildirFlags(msg: MaildirMessage, dir: string, flags: string): Promise<string> {
  const sorted = [...new Set(flags.split(''))].sort().join('');
  const base = msg.filename.includes(':2,') ? msg.filename.slice(0, msg.filename.indexOf(':2,')) : msg.filename;
  const to = join(dir, 'cur', `${base}:2,${sorted}`);
  if (to === msg.path) return to;
  await rename(msg.path, to);
  await fsyncDir(join(dir, 'cur'));
  if (msg.isNew) await fsyncDir(join(dir, 'new'));
  return to;
}
