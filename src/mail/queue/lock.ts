// Per-entry lock files (queue/<id>.lock, created with O_EXCL) so a runner and the CLI, or
// two runners, never work on one entry at once. A lock left by a dead process (crash, or
// the other node before a failover) is stale and is taken over.
import { open, readFile, unlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname } from 'node:os';

const HOST = hostname();
/** Locks this process holds, so a lock file with our own pid but not in here is a previous life's. */
const held = new Set<string>();

export interface EntryLock {
  readonly path: string;
  release(): Promise<void>;
}

export function lockPath(queueDir: string, id: string): string {
  return join(queueDir, `${id}.lock`);
}

interface LockOwner { pid: number; host: string; at: number }

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when the owner can no longer hold the lock. A lock from another host is stale
 * because only one node owns the volume at a time (the cluster's core promise); the
 * process that wrote it was on a node that has since been fenced or stopped.
 */
export function isStaleOwner(owner: LockOwner | null, path: string): boolean {
  if (!owner || !Number.isInteger(owner.pid)) return true;
  if (owner.host !== HOST) return true;
  if (owner.pid === process.pid) return !held.has(path);
  return !isAlive(owner.pid);
}

/** The lock's owner; null when unreadable. A half-written lock (just created) counts as live for a minute. */
async function readOwner(path: string): Promise<LockOwner | null | 'young'> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockOwner;
  } catch {
    const st = await stat(path).catch(() => null);
    return st && Date.now() - st.mtimeMs < 60_000 ? 'young' : null;
  }
}

async function isStale(path: string): Promise<boolean> {
  const owner = await readOwner(path);
  return owner !== 'young' && isStaleOwner(owner, path);
}

async function create(path: string): Promise<boolean> {
  try {
    const fh = await open(path, 'wx', 0o600);
    try {
      await fh.writeFile(JSON.stringify({ pid: process.pid, host: HOST, at: Date.now() } satisfies LockOwner));
    } finally {
      await fh.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Takes the lock of entry `id`, or returns null when a live process holds it. The lock
 * needs no fsync: after a crash every lock is stale anyway.
 */
export async function tryLockEntry(queueDir: string, id: string): Promise<EntryLock | null> {
  const path = lockPath(queueDir, id);
  if (held.has(path)) return null;
  for (let attempt = 0; attempt < 2; attempt++) {
    held.add(path);
    if (await create(path)) {
      return {
        path,
        async release() {
          held.delete(path);
          await unlink(path).catch(() => undefined);
        },
      };
    }
    held.delete(path);
    // Two processes could both find the same stale lock and race to replace it; with one
    // runner per volume the only other party is a short CLI command, which retries.
    if (!(await isStale(path))) return null;
    await unlink(path).catch(() => undefined);
  }
  return null;
}

/** Removes a lock file when its owner is gone (debris sweep). Returns true if removed. */
export async function removeStaleLock(path: string): Promise<boolean> {
  if (held.has(path)) return false;
  if (!(await isStale(path))) return false;
  await unlink(path).catch(() => undefined);
  return true;
}
