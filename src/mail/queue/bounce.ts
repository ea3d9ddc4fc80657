// Finishing an entry: the DSN for failed (and NOTIFY=SUCCESS) recipients is queued with
// the null sender, the entry is marked bounced, then removed. Shared by the runner and
// `tandem mail queue delete --bounce`.
import type { MailContext } from '../core/context.ts';
import { buildDsn, selectDsnReports } from './dsn.ts';
import { enqueueMessage, removeEntry, writeEntry, type QueueEntry } from './spool.ts';

/** Marks every pending recipient failed with `reason` (administrator delete, lost data). */
export function failPending(entry: QueueEntry, reason: string, status: string, now: number): void {
  for (const r of entry.recipients) {
    if (r.status !== 'pending') continue;
    r.status = 'failed';
    r.lastResult = reason;
    r.dsnStatus = status;
    r.lastAttemptAt = now;
  }
}

/**
 * Queues the DSN the entry calls for (if any) and removes the entry. Returns the DSN's
 * queue id. The order (DSN durable first, entry removed last) means a crash in between
 * can produce a second DSN but never loses the only one.
 */
export async function finishEntry(ctx: Pick<MailContext, 'layout' | 'settings' | 'log'>, entry: QueueEntry, original: Buffer | null, now: number): Promise<string | null> {
  const queueDir = ctx.layout.queueDir;
  const reports = selectDsnReports(entry);
  const dsn = buildDsn({ entry, reports, hostname: ctx.settings.hostname, now, original });
  let dsnId: string | null = null;
  if (dsn) {
    const queued = await enqueueMessage(queueDir, { sender: dsn.sender, recipients: [dsn.recipient], data: dsn.data, now });
    dsnId = queued.id;
    ctx.log.info({ event: 'queue.dsn.queued', id: entry.id, dsnId, to: dsn.recipient, reported: reports.length }, `DSN ${dsnId} queued to <${dsn.recipient}> for ${reports.length} recipient(s) of ${entry.id}`);
  } else if (entry.sender === '' && entry.recipients.some((r) => r.status === 'failed')) {
    ctx.log.warn({ event: 'queue.dsn.suppressed', id: entry.id }, `no DSN for ${entry.id}: it is itself a bounce (null sender), never bounce a bounce`);
  }
  if (reports.length > 0) {
    entry.bounced = true;
    await writeEntry(queueDir, entry);
  }
  await removeEntry(queueDir, entry.id);
  return dsnId;
}
