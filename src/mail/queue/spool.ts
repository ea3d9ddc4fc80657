// The outbound queue on the volume: one message is two files in queue/,
//   <id>.eml   the message bytes (written and fsync'd first)
//   <id>.json  the envelope and per-recipient delivery state (its presence commits)
// An entry exists only once its .json is durable; a lone .eml is debris from a crash
// before the commit and is removed by the runner. The .json is replaced atomically
// (temp, fsync, rename, dir fsync) on every state change, so a crash at any instant
// leaves either the old or the new state, and a recipient marked delivered is never
// sent again after a restart or a failover.
import { readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFileSynced, fsyncDir, replaceFileDurable } from '../../lib/durable.ts';

export type RecipientStatus = 'pending' | 'delivered' | 'failed';

export interface QueueRecipient {
  address: string;
  status: RecipientStatus;
  /** Attempts made for this recipient. */
  attempts: number;
  /** Last SMTP reply or error text, for `queue show` and the DSN. */
  lastResult?: string;
  /** Remote MTA that gave lastResult (e.g. "mx.example.org [198.18.0.5]"). */
  remoteMta?: string;
  /** RFC 3461 NOTIFY and ORCPT given at RCPT, when the client used DSN. */
  notify?: Array<'NEVER' | 'SUCCESS' | 'FAILURE' | 'DELAY'>;
  orcpt?: string;
  /** RFC 3463 status (x.y.z) of the final outcome, for the DSN. */
  dsnStatus?: string;
  /** ms since epoch of the last attempt for this recipient. */
  lastAttemptAt?: number;
}

export interface QueueEntry {
  id: string;
  /** Envelope sender; "" is the null sender (bounces never bounce). */
  sender: string;
  recipients: QueueRecipient[];
  /** ms since epoch. */
  createdAt: number;
  nextAttemptAt: number;
  /** Set when a DSN has been generated for failed recipients (so it is made once). */
  bounced?: boolean;
  /** RFC 3461 RET and ENVID from MAIL FROM. */
  ret?: 'FULL' | 'HDRS';
  envid?: string;
  /** Client that submitted it, for logs and the DSN's Received-From-MTA. */
  receivedFrom?: string;
  size: number;
  /** ms since epoch of the last delivery attempt, for `queue list`. */
  lastAttemptAt?: number;
}

export interface EnqueueInput {
  sender: string;
  recipients: Array<string | { address: string; notify?: QueueRecipient['notify']; orcpt?: string }>;
  data: Buffer | AsyncIterable<Buffer>;
  ret?: 'FULL' | 'HDRS';
  envid?: string;
  receivedFrom?: string;
  now?: number;
}

export function newQueueId(now = Date.now()): string {
  return `${now.toString(36)}-${randomBytes(6).toString('hex')}`;
}

export function dataPath(queueDir: string, id: string): string {
  return join(queueDir, `${id}.eml`);
}

export function metaPath(queueDir: string, id: string): string {
  return join(queueDir, `${id}.json`);
}

/**
 * Queues a message durably. When this resolves the message survives a crash and
 * the caller may reply 250.
 */
export async function enqueueMessage(queueDir: string, input: EnqueueInput): Promise<QueueEntry> {
  if (input.recipients.length === 0) throw new Error('enqueueMessage: no recipients');
  const now = input.now ?? Date.now();
  const id = newQueueId(now);
  const size = await writeFileSynced(dataPath(queueDir, id), input.data);
  const entry: QueueEntry = {
    id,
    sender: input.sender,
    recipients: input.recipients.map((r) => {
      const rec = typeof r === 'string' ? { address: r } : r;
      return { address: rec.address, status: 'pending', attempts: 0, ...(rec.notify ? { notify: rec.notify } : {}), ...(rec.orcpt ? { orcpt: rec.orcpt } : {}) };
    }),
    createdAt: now,
    nextAttemptAt: now,
    size,
    ...(input.ret ? { ret: input.ret } : {}),
    ...(input.envid ? { envid: input.envid } : {}),
    ...(input.receivedFrom ? { receivedFrom: input.receivedFrom } : {}),
  };
  // The .json must land after the .eml is durable; one dir fsync covers both names.
  await writeFileSynced(metaPath(queueDir, id), JSON.stringify(entry));
  await fsyncDir(queueDir);
  return entry;
}

/** Reads one entry, or null when it is gone (delivered and removed meanwhile). */
export async function readEntry(queueDir: string, id: string): Promise<QueueEntry | null> {
  try {
    return JSON.parse(await readFile(metaPath(queueDir, id), 'utf8')) as QueueEntry;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Durably replaces an entry's state. */
export async function writeEntry(queueDir: string, entry: QueueEntry): Promise<void> {
  await replaceFileDurable(metaPath(queueDir, entry.id), JSON.stringify(entry));
}

/** Lists the ids of committed entries (those with a .json). */
export async function listEntryIds(queueDir: string): Promise<string[]> {
  const names = await readdir(queueDir).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)).sort();
}

/** Removes an entry: the .json first (uncommits it), then the data. */
export async function removeEntry(queueDir: string, id: string): Promise<void> {
  await unlink(metaPath(queueDir, id)).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err; });
  await fsyncDir(queueDir);
  await unlink(dataPath(queueDir, id)).catch(() => undefined);
}
