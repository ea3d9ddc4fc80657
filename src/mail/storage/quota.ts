// Maildir++ quota accounting in the standard "maildirsize" file (Courier/Dovecot
// format): line 1 is the quota definition ("<bytes>S"), each further line "<bytes>
// <count>" is a delta. Writers append small lines with O_APPEND (atomic on POSIX), so
// smtp, pop3 and imap processes can all update it without a lock. When the file grows
// past 5120 bytes or is missing, it is rebuilt from a scan and replaced atomically.
import { readFile, readdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { listMaildir } from './maildir.ts';
import { replaceFileDurable } from '../../lib/durable.ts';

export interface Usage { bytes: number; count: number }

const MAX_FILE = 5120;

/** Parses a maildirsize file. Pure. Returns null if it is malformed. */
export function parseMaildirsize(text: string): { quotaBytes: number | null; usage: Usage } | null {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return null;
  const def = /(\d+)S/.exec(lines[0]!);
  let bytes = 0;
  let count = 0;
  for (const line of lines.slice(1)) {
    const m = /^\s*(-?\d+)\s+(-?\d+)\s*$/.exec(line);
    if (!m) return null;
    bytes += Number(m[1]);
    count += Number(m[2]);
  }
  return { quotaBytes: def ? Number(def[1]) : null, usage: { bytes, count } };
}

/** Sums every folder of a Maildir++ root by scanning it. */
export async function scanUsage(root: string): Promise<Usage> {
  const folders = [root];
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (name.startsWith('.') && name !== '.' && name !== '..') folders.push(join(root, name));
  }
  let bytes = 0;
  let count = 0;
  for (const dir of folders) {
    for (const m of await listMaildir(dir)) {
      bytes += m.size;
      count += 1;
    }
  }
  return { bytes, count };
}

/** Current usage of a Maildir++ root, rebuilding maildirsize when needed. */
export async function readUsage(root: string, quotaBytes: number): Promise<Usage> {
  const file = join(root, 'maildirsize');
  const text = await readFile(file, 'utf8').catch(() => null);
  const parsed = text === null ? null : parseMaildirsize(text);
  if (parsed && text!.length <= MAX_FILE && parsed.quotaBytes === quotaBytes && parsed.usage.bytes >= 0) return parsed.usage;
  const usage = await scanUsage(root);
  await replaceFileDurable(file, `${quotaBytes}S\n${usage.bytes} ${usage.count}\n`).catch(() => undefined);
  return usage;
}

/**
 * Records a change in usage. Not fsync'd on purpose: maildirsize is a cache that is
 * rebuilt from the messages themselves, never the source of truth.
 */
export async function addUsage(root: string, delta: Usage): Promise<void> {
  const fh = await open(join(root, 'maildirsize'), 'a').catch(() => null);
  if (!fh) return;
  try {
    await fh.write(`${delta.bytes} ${delta.count}\n`);
  } finally {
    await fh.close();
  }
}

/** Pure quota check: would adding `size` bytes exceed the quota? 0 means unlimited. */
export function exceedsQuota(usage: Usage, quotaBytes: number, size: number): boolean {
  return quotaBytes > 0 && usage.bytes + size > quotaBytes;
}
