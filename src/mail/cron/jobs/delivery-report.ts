// deliveryReport: once a day, a summary of the previous UTC day's delivery record
// (records/delivery-DAY.jsonl) to postmaster of the primary domain: messages received,
// local copies stored, remote copies queued, recipients refused, deferred and bounced.
import { readFile } from 'node:fs/promises';
import { deliverLocal } from '../../delivery/local.ts';
import { deliveryRecordFile, type DeliveryRecord } from '../../delivery/record.ts';
import { DAY_MS, type CronJob } from './job.ts';

export interface DeliveryCounts { received: number; stored: number; queued: number; failed: number; deferred: number; bounced: number; badLines: number }

/** Sums one day's record lines (pure); unreadable lines are counted, not fatal. */
export function countDeliveries(text: string): DeliveryCounts {
  const c: DeliveryCounts = { received: 0, stored: 0, queued: 0, failed: 0, deferred: 0, bounced: 0, badLines: 0 };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let r: DeliveryRecord;
    try {
      r = JSON.parse(line) as DeliveryRecord;
    } catch {
      c.badLines++; // a torn last line after a crash
      continue;
    }
    if (r.kind === 'received') {
      c.received++;
      c.stored += r.stored ?? 0;
      c.queued += r.queued ?? 0;
      c.failed += r.failed ?? 0;
    } else if (r.kind === 'deferred') c.deferred += r.recipients ?? 0;
    else if (r.kind === 'bounce') c.bounced++;
  }
  return c;
}

export const deliveryReport: CronJob = {
  name: 'deliveryReport',
  description: 'mail postmaster a summary of the previous day\'s deliveries',
  async run({ ctx, now }) {
    const day = new Date(now - DAY_MS).toISOString().slice(0, 10);
    const file = deliveryRecordFile(ctx.layout, now - DAY_MS);
    const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => { if (e.code === 'ENOENT') return ''; throw e; });
    const c = countDeliveries(text);
    const to = `postmaster@${ctx.settings.primaryDomain}`;
    const date = new Date(now).toUTCString().replace('GMT', '+0000');
    const body = [
      `From: Mail system <${to}>`,
      `To: <${to}>`,
      `Subject: Delivery report for ${day} (${ctx.settings.hostname})`,
      `Date: ${date}`,
      'Auto-Submitted: auto-generated',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      `Deliveries on ${day} (UTC) on ${ctx.settings.hostname}:`,
      '',
      `  messages received          ${c.received}`,
      `  copies stored in mailboxes ${c.stored}`,
      `  copies queued for remote   ${c.queued}`,
      `  recipients refused         ${c.failed}`,
      `  recipients deferred        ${c.deferred}`,
      `  bounces sent               ${c.bounced}`,
      ...(c.badLines > 0 ? ['', `  (${c.badLines} unreadable lines in ${file})`] : []),
      '',
    ].join('\r\n');
    const [r] = await deliverLocal(ctx, { sender: '', recipients: [to] }, Buffer.from(body));
    if (!r?.ok) throw new Error(`report for ${day} could not be delivered to ${to}: ${r?.message ?? 'no result'}`);
    return `report for ${day} sent to ${to}: ${c.received} received, ${c.stored} stored, ${c.queued} queued, ${c.failed} refused, ${c.deferred} deferred, ${c.bounced} bounces`;
  },
};
