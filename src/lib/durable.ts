// Durable file operations: "acknowledged means fsync'd" (DESIGN 3.1) rests on these.
// A file is durable once its data is fsync'd and the directory entry that names it
// is fsync'd too. Directory fsyncs are shared between concurrent writers (group
// commit): the lever for throughput measured in LAB-NOTES (one dir fsync per batch).
import { open, rename, link, unlink, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Asked before every durable change; throws to refuse it. The mail services install one
 * that compares the volume's fencing token with the one they started under (issue 5):
 * a process of a node that was replaced (paused, cut off) must not write any more.
 */
export type CommitGate = (path: string) => Promise<void>;

let commitGate: CommitGate | null = null;

/** Installs (or with null removes) this process's commit gate. */
export function setCommitGate(gate: CommitGate | null): void {
  commitGate = gate;
}

async function passGate(path: string): Promise<void> {
  if (commitGate) await commitGate(path);
}

/** Writes `data` to `path`, fsyncs it and closes it. The caller makes it visible. */
export async function writeFileSynced(path: string, data: Buffer | string | Iterable<Buffer> | AsyncIterable<Buffer>): Promise<number> {
  await passGate(path);
  const fh = await open(path, 'wx', 0o600);
  let size = 0;
  try {
    if (typeof data === 'string' || Buffer.isBuffer(data)) {
      const buf = typeof data === 'string' ? Buffer.from(data) : data;
      await fh.writeFile(buf);
      size = buf.length;
    } else {
      for await (const chunk of data) {
        await fh.write(chunk);
        size += chunk.length;
      }
    }
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw err;
  }
  await fh.close();
  return size;
}

/** fsyncs one directory now (no batching). */
export async function fsyncDirNow(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

interface DirSyncState {
  running: Promise<void> | null;
  waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }>;
}

const dirStates = new Map<string, DirSyncState>();

/**
 * fsyncs `dir`, sharing the fsync with other callers that ask while one is queued.
 * A caller's request is satisfied only by an fsync that *starts* after the request,
 * so an entry renamed just before the call is always covered.
 */
export function fsyncDir(dir: string): Promise<void> {
  // Callers that renamed or unlinked by themselves (the IMAP store) commit here.
  if (commitGate) return passGate(dir).then(() => fsyncDirUngated(dir));
  return fsyncDirUngated(dir);
}

function fsyncDirUngated(dir: string): Promise<void> {
  let state = dirStates.get(dir);
  if (!state) {
    state = { running: null, waiters: [] };
    dirStates.set(dir, state);
  }
  const s = state;
  return new Promise<void>((resolve, reject) => {
    s.waiters.push({ resolve, reject });
    if (!s.running) runDirSync(dir, s);
  });
}

function runDirSync(dir: string, s: DirSyncState): void {
  const batch = s.waiters.splice(0);
  s.running = fsyncDirNow(dir).then(
    () => batch.forEach((w) => w.resolve()),
    (err: unknown) => batch.forEach((w) => w.reject(err)),
  ).finally(() => {
    s.running = null;
    if (s.waiters.length > 0) runDirSync(dir, s);
    else dirStates.delete(dir);
  });
}

/** Renames `from` to `to` and makes the new name durable (fsync of the target dir). */
export async function renameDurable(from: string, to: string): Promise<void> {
  await passGate(to);
  await rename(from, to);
  await fsyncDirUngated(dirname(to));
}

/** Hard-links `from` as `to` (fails if `to` exists) and makes the new name durable. */
export async function linkDurable(from: string, to: string): Promise<void> {
  await passGate(to);
  await link(from, to);
  await fsyncDirUngated(dirname(to));
}

/** Unlinks `path` and makes the removal durable. Missing files are not an error. */
export async function unlinkDurable(path: string): Promise<boolean> {
  await passGate(path);
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  await fsyncDirUngated(dirname(path));
  return true;
}

/** Atomically replaces `path` with `data`: temp file, fsync, rename, dir fsync. */
export async function replaceFileDurable(path: string, data: Buffer | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  await writeFileSynced(tmp, data);
  await renameDurable(tmp, path);
}

/** mkdir -p, then fsync the parent so the new directory survives a crash. */
export async function mkdirDurable(dir: string, mode = 0o700): Promise<void> {
  const made = await mkdir(dir, { recursive: true, mode });
  if (made !== undefined) await fsyncDir(dirname(dir));
}
