// Delivery status notifications (RFC 3464 report in an RFC 6522 multipart/report), built
// from a queue entry's recorded outcomes. Pure: no I/O and no clock; the caller passes
// `now` and the original message, and enqueues the result with the null sender.
import { createHash } from 'node:crypto';
import type { QueueEntry, QueueRecipient } from './spool.ts';
import { parseReply } from './schedule.ts';

export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed';

export interface DsnReport {
  readonly recipient: QueueRecipient;
  readonly action: DsnAction;
}

export interface DsnInput {
  readonly entry: QueueEntry;
  readonly reports: readonly DsnReport[];
  /** Our host name: Reporting-MTA and the From domain. */
  readonly hostname: string;
  readonly now: number;
  /** The original message, or null when its data file is lost. */
  readonly original: Buffer | null;
  /** Above this size only the headers are returned (Postfix bounce_size_limit does the same). */
  readonly maxFullBytes?: number;
}

export interface DsnMessage {
  readonly sender: '';
  readonly recipient: string;
  readonly data: Buffer;
}

export const DEFAULT_MAX_FULL_BYTES = 256 * 1024;

/**
 * Which recipients a DSN must report (RFC 3461 4.1): failures unless NOTIFY excludes
 * FAILURE (NOTIFY=NEVER included), successes only when NOTIFY has SUCCESS. The null
 * sender gets nothing (never bounce a bounce, RFC 5321 4.5.5), nor an entry already bounced.
 */
export function selectDsnReports(entry: QueueEntry): DsnReport[] {
  if (entry.sender === '' || entry.bounced) return [];
  const reports: DsnReport[] = [];
  for (const r of entry.recipients) {
    const notify = r.notify ?? ['FAILURE'];
    if (notify.includes('NEVER')) continue;
    if (r.status === 'failed' && notify.includes('FAILURE')) reports.push({ recipient: r, action: 'failed' });
    // A remote MTA that took it may not speak DSN: "relayed" says our responsibility ended there.
    if (r.status === 'delivered' && notify.includes('SUCCESS')) reports.push({ recipient: r, action: r.remoteMta ? 'relayed' : 'delivered' });
  }
  return reports;
}

/** RFC 5322 date-time in UTC, e.g. "Tue, 24 Nov 2026 18:43:46 +0000". */
export function formatDate(ms: number): string {
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** A header field value in 7-bit ASCII on one line: the delivery-status part is US-ASCII. */
function ascii(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').replace(/[^\x20-\x7e]/g, '?').trim();
}

/** The original's header block (up to the blank line), with CRLF line ends. */
export function headerBlock(message: Buffer): Buffer {
  const crlf = message.indexOf('\r\n\r\n');
  const lf = message.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return message.subarray(0, crlf + 2);
  if (lf >= 0) return Buffer.from(message.subarray(0, lf + 1).toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
  return message;
}

function originalMessageId(message: Buffer | null): string | null {
  if (!message) return null;
  const m = /^message-id:[ \t]*(<[^>\r\n]+>)/im.exec(headerBlock(message).toString('latin1'));
  return m?.[1] ?? null;
}

function recipientFields(r: DsnReport, hostname: string): string[] {
  const rec = r.recipient;
  const lines = [`Final-Recipient: rfc822; ${ascii(rec.address)}`];
  if (rec.orcpt) lines.push(`Original-Recipient: ${ascii(rec.orcpt.includes(';') ? rec.orcpt : `rfc822; ${rec.orcpt}`)}`);
  lines.push(`Action: ${r.action}`);
  const reply = parseReply(rec.lastResult ?? '');
  const status = rec.dsnStatus ?? reply.status ?? (r.action === 'failed' ? '5.0.0' : r.action === 'delayed' ? '4.0.0' : '2.0.0');
  lines.push(`Status: ${status}`);
  const mta = rec.remoteMta?.split(/\s+/)[0];
  if (mta) lines.push(`Remote-MTA: dns; ${ascii(mta)}`);
  if (rec.lastResult) {
    lines.push(reply.code !== null ? `Diagnostic-Code: smtp; ${ascii(rec.lastResult)}` : `Diagnostic-Code: X-Tandem; ${ascii(rec.lastResult)} (at ${ascii(hostname)})`);
  }
  if (rec.lastAttemptAt) lines.push(`Last-Attempt-Date: ${formatDate(rec.lastAttemptAt)}`);
  return lines;
}

function humanText(input: DsnInput): string {
  const failed = input.reports.filter((r) => r.action === 'failed');
  const delayed = input.reports.filter((r) => r.action === 'delayed');
  const ok = input.reports.filter((r) => r.action === 'delivered' || r.action === 'relayed');
  const describe = (r: DsnReport) => `  <${r.recipient.address}>: ${r.recipient.lastResult ?? r.action}${r.recipient.remoteMta ? ` (from ${r.recipient.remoteMta})` : ''}`;
  const parts = [`This is the mail system at host ${input.hostname}.`, ''];
  if (failed.length > 0) {
    parts.push('Your message could not be delivered to the following recipients.', 'No further attempts will be made.', '', ...failed.map(describe), '');
  }
  if (delayed.length > 0) parts.push('Delivery to the following recipients is delayed; attempts continue.', '', ...delayed.map(describe), '');
  if (ok.length > 0) parts.push('Your message was delivered (or relayed) to the following recipients, as requested.', '', ...ok.map(describe), '');
  if (!input.original) parts.push('The original message was lost and cannot be returned.', '');
  parts.push('For help, contact the postmaster of this site and include this report.', '');
  return parts.join('\r\n');
}

function subjectFor(reports: readonly DsnReport[]): string {
  if (reports.some((r) => r.action === 'failed')) return 'Undelivered Mail Returned to Sender';
  if (reports.some((r) => r.action === 'delayed')) return 'Delayed Mail (still being retried)';
  return 'Successful Mail Delivery Report';
}

function pickBoundary(seed: string, original: Buffer | null): string {
  for (let i = 0; ; i++) {
    const boundary = `=_tandem_${createHash('sha256').update(`${seed}:${i}`).digest('hex').slice(0, 32)}`;
    if (!original || !original.includes(boundary)) return boundary;
  }
}

/** Builds the DSN for `reports`, or null when there is nothing to send. */
export function buildDsn(input: DsnInput): DsnMessage | null {
  const { entry, hostname, now, original } = input;
  if (input.reports.length === 0 || entry.sender === '') return null;
  const boundary = pickBoundary(`${entry.id}:${now}`, original);
  const msgId = originalMessageId(original);
  const text = humanText(input);
  const head = [
    `From: Mail Delivery System <MAILER-DAEMON@${hostname}>`,
    `To: <${entry.sender}>`,
    `Subject: ${subjectFor(input.reports)}`,
    `Date: ${formatDate(now)}`,
    `Message-ID: <${entry.id}.${now.toString(36)}.dsn@${hostname}>`,
    ...(msgId ? [`In-Reply-To: ${msgId}`, `References: ${msgId}`] : []),
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status;\r\n boundary="${boundary}"`,
    '',
    'This is a MIME-encapsulated delivery status notification.',
  ];
  const perMessage = [
    `Reporting-MTA: dns; ${hostname}`,
    ...(entry.envid ? [`Original-Envelope-Id: ${ascii(entry.envid)}`] : []),
    ...(entry.receivedFrom ? [`Received-From-MTA: dns; ${ascii(entry.receivedFrom)}`] : []),
    `Arrival-Date: ${formatDate(entry.createdAt)}`,
  ];
  const status = [perMessage.join('\r\n'), ...input.reports.map((r) => recipientFields(r, hostname).join('\r\n'))].join('\r\n\r\n');
  const chunks: Buffer[] = [
    Buffer.from(`${head.join('\r\n')}\r\n\r\n--${boundary}\r\n`),
    Buffer.from(`Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: ${Buffer.byteLength(text) !== text.length ? '8bit' : '7bit'}\r\nContent-Description: Notification\r\n\r\n${text}\r\n--${boundary}\r\n`),
    Buffer.from(`Content-Type: message/delivery-status\r\nContent-Description: Delivery report\r\n\r\n${status}\r\n\r\n`),
  ];
  if (original) {
    const full = entry.ret !== 'HDRS' && original.length <= (input.maxFullBytes ?? DEFAULT_MAX_FULL_BYTES);
    const body = full ? original : headerBlock(original);
    const eightBit = body.some((b) => b > 0x7f);
    const type = full ? 'message/rfc822' : 'text/rfc822-headers';
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: ${type}${eightBit ? '\r\nContent-Transfer-Encoding: 8bit' : ''}\r\nContent-Description: ${full ? 'Undelivered message' : 'Undelivered message headers'}\r\n\r\n`));
    chunks.push(body);
    if (!body.subarray(-2).equals(Buffer.from('\r\n'))) chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { sender: '', recipient: entry.sender, data: Buffer.concat(chunks) };
}
