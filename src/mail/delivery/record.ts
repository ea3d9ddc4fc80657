// The delivery record: one JSON line per delivery event in records/delivery-YYYY-MM-DD.jsonl
// (UTC days) on the volume, append-only, for the cron service's daily report. Appends are
// group-committed (one write and one fdatasync for every line queued meanwhile) and run
// after the delivery itself is durable, so they never delay or endanger an acknowledgement;
// a line lost in a crash costs one count in a report, never mail.
import { mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { VolumeLayout } from '../core/volume.ts';
import type { Logger } from '../../lib/log.ts';

/** What the report counts. */
export type DeliveryRecordKind = 'received' | 'bounce' | 'deferred';

export interface DeliveryRecord {
  /** ms since the epoch */
  readonly t: number;
  readonly kind: DeliveryRecordKind;
  /** Local copies stored, remote copies queued, recipients that failed (for 'received'). */
  readonly stored?: number;
  readonly queued?: number;
  readonly failed?: number;
  /** Recipients handed to the queue for a retry (for 'deferred'). */
  readonly recipients?: number;
}

export function recordsDir(layout: VolumeLayout): string {
  return join(layout.root, 'records');
}

/** The file of one UTC day, e.g. records/delivery-2026-11-24.jsonl. */
export function deliveryRecordFile(layout: VolumeLayout, day: Date | number): string {
  return join(recordsDir(layout), `delivery-${new Date(day).toISOString().slice(0, 10)}.jsonl`);
}

const pending = new Map<string, string[]>();
let flushing: Promise<void> | null = null;

/** Queues one record; the promise settles when it is on disk (callers need not wait). Never rejects. */
export function appendDeliveryRecord(layout: VolumeLayout, record: DeliveryRecord, log?: Logger): Promise<void> {
  const file = deliveryRecordFile(layout, record.t);
  const lines = pending.get(file) ?? [];
  lines.push(`${JSON.stringify(record)}\n`);
  pending.set(file, lines);
  return kick(log);
}

/** Waits until every queued record is written (tests, shutdown). */
export async function flushDeliveryRecords(): Promise<void> {
  while (flushing) await flushing;
}

function kick(log?: Logger): Promise<void> {
  flushing ??= flushAll(log).finally(() => {
    flushing = null;
    if (pending.size > 0) void kick(log);
  });
  return flushing;
}

async function flushAll(log?: Logger): Promise<void> {
  // Let the other deliveries of this moment queue their lines first.
  await new Promise<void>((resolve) => setImmediate(resolve));
  while (pending.size > 0) {
    const batch = [...pending.entries()];
    pending.clear();
    for (const [file, lines] of batch) {
      try {
        await mkdir(dirname(file), { recursive: true, mode: 0o700 });
        const fh = await open(file, 'a', 0o600);
        try {
          await fh.write(lines.join(''));
          await fh.datasync();
        } finally {
          await fh.close();
        }
      } catch (err) {
        log?.warn({ event: 'delivery.record.failed', file, lines: lines.length, error: (err as Error).message });
      }
    }
  }
}
