// On-disk layout of the disk arbiter: per-node heartbeat slots and per-group claim files,
// one file per granted epoch, created exclusively with link() and renewed by atomic rename.
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { linkDurable, mkdirDurable, replaceFileDurable, writeFileSynced } from '../../lib/durable.ts';

/** One grant of a group's lease. Only its holder rewrites it; `writeId` makes every write unique. */
export interface ClaimRecord {
  readonly group: string;
  readonly holder: string;
  /** The fencing token; also the file name, so it is readable without parsing (volume agent). */
  readonly epoch: number;
  readonly counter: number;
  readonly writeId: string;
  readonly released: boolean;
}

/** A claim as read: the raw bytes are what observers compare (any write changes them). */
export interface ClaimRead {
  readonly epoch: number;
  readonly raw: string;
  readonly record: ClaimRecord;
}

const CLAIM = /^(\d{12})\.claim$/;
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** Names become file names: refuse anything that could escape the directory. */
export function checkName(kind: string, name: string): string {
  if (!SAFE_NAME.test(name)) throw new RangeError(`${kind} name must match ${SAFE_NAME.source}; got ${JSON.stringify(name)}`);
  return name;
}

export function groupDir(root: string, group: string): string {
  return join(root, 'groups', checkName('group', group));
}

export function claimPath(dir: string, epoch: number): string {
  return join(dir, `${String(epoch).padStart(12, '0')}.claim`);
}

export function slotPath(root: string, node: string): string {
  return join(root, 'nodes', `${checkName('node', node)}.hb`);
}

/** A process-unique id for one write, so equal bytes mean the same write. */
export function newWriteId(): string {
  return `${process.pid}-${process.hrtime.bigint()}-${Math.random().toString(36).slice(2, 10)}`;
}

export async function ensureDir(dir: string): Promise<void> {
  await mkdirDurable(dir);
}

/** Epochs present in a group's directory, highest first. */
export async function listEpochs(dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names.flatMap((n) => {
    const m = CLAIM.exec(n);
    return m ? [Number(m[1])] : [];
  }).sort((a, b) => b - a);
}

/** The raw content of a file, or null when it does not exist. */
export async function readRaw(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The highest-epoch claim, or null when the group was never granted. */
export async function readTopClaim(dir: string): Promise<ClaimRead | null> {
  // A claim can vanish between readdir and read (garbage collection): take the next one.
  for (const epoch of await listEpochs(dir)) {
    const raw = await readRaw(claimPath(dir, epoch));
    if (raw !== null) return { epoch, raw, record: JSON.parse(raw) as ClaimRecord };
  }
  return null;
}

/**
 * Creates the claim for `record.epoch` only if nobody created it before: link() of a fully
 * written temp file fails with EEXIST for every contender but one. Returns false on EEXIST.
 */
export async function createClaim(dir: string, record: ClaimRecord): Promise<boolean> {
  const tmp = join(dir, `.new-${record.writeId}`);
  await writeFileSynced(tmp, JSON.stringify(record));
  try {
    await linkDurable(tmp, claimPath(dir, record.epoch));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** Rewrites an existing claim atomically (temp + fsync + rename + dir fsync). */
export async function writeClaim(dir: string, record: ClaimRecord): Promise<void> {
  await replaceFileDurable(claimPath(dir, record.epoch), JSON.stringify(record));
}

/** Removes claims far below `epoch`; the two below it stay for acquirers' re-checks. */
export async function collectOldClaims(dir: string, epoch: number): Promise<void> {
  for (const e of await listEpochs(dir)) {
    if (e <= epoch - 3) await unlink(claimPath(dir, e)).catch(() => undefined);
  }
}

export async function writeSlot(root: string, node: string, counter: number, monoMs: number): Promise<void> {
  await replaceFileDurable(slotPath(root, node), JSON.stringify({ node, counter, monoMs, writeId: newWriteId() }));
}

/** Every node slot's raw content, by node name. */
export async function readSlots(root: string): Promise<Map<string, string>> {
  const dir = join(root, 'nodes');
  const out = new Map<string, string>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  for (const name of names) {
    if (!name.endsWith('.hb') || name.startsWith('.')) continue;
    const raw = await readRaw(join(dir, name));
    if (raw !== null) out.set(name.slice(0, -3), raw);
  }
  return out;
}
