// A lock file shared by processes (imap, pop3, smtp) that append to per-folder files:
// created atomically (link) holding "pid@host"; a lock whose pid is dead is stale.
import { writeFile, readFile, unlink, rename, link, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { TandemError } from '../../../lib/errors.ts';

const HOST = hostname();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** An unreadable lock younger than this may still be in the making; older is garbage. */
const GARBAGE_AGE_MS = 2000;

/**
 * True when the lock at `path` belongs to a process that no longer runs. A lock from
 * another host (after a failover) is stale too: only the active node writes the volume.
 */
async function isStale(path: string): Promise<boolean> {
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) return false; // gone already: just retry
  const m = /^(\d+)@(.*)$/.exec(text.trim());
  if (!m) return Date.now() - ((await stat(path).catch(() => null))?.mtimeMs ?? 0) > GARBAGE_AGE_MS;
  return m[2] !== HOST || !isAlive(Number(m[1]));
}

/**
 * Runs `fn` holding the lock file `path`. Waits up to `timeoutMs` for a live holder.
 * The lock is written to a temp file and then link()ed into place, so it never exists
 * without its owner (an O_EXCL create has a window where it is empty and looks torn).
 * Stale locks are renamed aside before removal, so two waiters cannot both delete a
 * fresh lock that a third process just made.
 */
export async function withLockFile<T>(path: string, fn: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const mine = `${path}.${process.pid}-${Math.random().toString(36).slice(2)}`;
  await writeFile(mine, `${process.pid}@${HOST}\n`, { mode: 0o600 });
  try {
    for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
      try {
        await link(mine, path);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      if (await isStale(path)) {
        const aside = `${path}.stale-${process.pid}-${Math.random().toString(36).slice(2)}`;
        // Re-check after the rename: only the content we judged stale may be removed.
        if (await rename(path, aside).then(() => true, () => false)) {
          if (await isStale(aside)) await unlink(aside).catch(() => undefined);
          // A live lock taken by mistake goes back with link(), which never overwrites.
          else await link(aside, path).then(() => unlink(aside), () => unlink(aside)).catch(() => undefined);
        }
        continue;
      }
      if (Date.now() > deadline) throw new TandemError('MAIL_ERR_LOCKED', 'temp', `lock ${path} held by another process for over ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, delay));
    }
  } finally {
    await unlink(mine).catch(() => undefined);
  }
  try {
    return await fn();
  } finally {
    await unlink(path).catch(() => undefined);
  }
}
