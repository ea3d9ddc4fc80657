// Operator actions on the queue from any process (the CLI): flush entries and wake the
// runner, delete entries with or without a DSN. Each change is made under the entry's
// lock, so it never races with a delivery in progress.
import { readFile, writeFile } from 'node:fs/promises';
import type { MailContext } from '../core/context.ts';
import { TandemError } from '../../lib/errors.ts';
import { dataPath, listEntryIds, readEntry, removeEntry, writeEntry } from './spool.ts';
import { tryLockEntry, type EntryLock } from './lock.ts';
import { failPending, finishEntry } from './bounce.ts';
import { flushSignalPath } from './runner.ts';

export interface FlushResult { flushed: string[]; busy: string[] }

function notFound(id: string): TandemError {
  return new TandemError('MAIL_ERR_QUEUE_NO_ENTRY', 'not-found', `no queue entry "${id}" (see "tandem mail queue list")`);
}

/** Waits briefly for an entry's lock: a delivery attempt in progress usually ends soon. */
async function lockWithin(queueDir: string, id: string, ms: number): Promise<EntryLock | null> {
  const until = Date.now() + ms;
  for (;;) {
    const lock = await tryLockEntry(queueDir, id);
    if (lock || Date.now() >= until) return lock;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Touches queue/.flush; a running queue runner polls it and scans at once. */
export async function signalRunner(queueDir: string): Promise<void> {
  await writeFile(flushSignalPath(queueDir), `${new Date().toISOString()} ${process.pid}\n`);
}

/**
 * Makes entries due now (all, or `id`) and signals the runner. An entry being delivered
 * right now is reported busy and left alone: it is being tried anyway.
 */
export async function flushQueue(queueDir: string, id: string | null, now = Date.now()): Promise<FlushResult> {
  const ids = id ? [id] : await listEntryIds(queueDir);
  if (id && !(await readEntry(queueDir, id))) throw notFound(id);
  const result: FlushResult = { flushed: [], busy: [] };
  for (const one of ids) {
    const lock = await tryLockEntry(queueDir, one);
    if (!lock) { result.busy.push(one); continue; }
    try {
      const entry = await readEntry(queueDir, one);
      if (!entry) continue;
      if (entry.nextAttemptAt > now) {
        entry.nextAttemptAt = now;
        await writeEntry(queueDir, entry);
      }
      result.flushed.push(one);
    } finally {
      await lock.release();
    }
  }
  await signalRunner(queueDir);
  return result;
}

/**
 * Deletes an entry. With `bounce`, its pending recipients are failed and the sender gets
 * a DSN first (queued like any other message). Returns the DSN's id, if one was made.
 */
export async function deleteQueueEntry(ctx: Pick<MailContext, 'layout' | 'settings' | 'log'>, id: string, bounce: boolean): Promise<{ dsnId: string | null }> {
  const queueDir = ctx.layout.queueDir;
  if (!(await readEntry(queueDir, id))) throw notFound(id);
  const lock = await lockWithin(queueDir, id, 5_000);
  if (!lock) throw new TandemError('MAIL_ERR_QUEUE_BUSY', 'temp', `queue entry "${id}" is being delivered right now; try again in a moment`);
  try {
    const entry = await readEntry(queueDir, id);
    if (!entry) throw notFound(id);
    if (!bounce) {
      await removeEntry(queueDir, id);
      return { dsnId: null };
    }
    const original = await readFile(dataPath(queueDir, id)).catch(() => null);
    const now = Date.now();
    failPending(entry, 'deleted from the queue by the administrator', '5.3.0', now);
    const dsnId = await finishEntry(ctx, entry, original, now);
    if (dsnId) await signalRunner(queueDir);
    return { dsnId };
  } finally {
    await lock.release();
  }
}
