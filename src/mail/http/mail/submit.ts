// Sending from the webmail with the same rules as SMTP submission (RFC 6409): the
// envelope sender must be one of the user's own addresses, unknown local recipients are
// refused before anything is stored, Date and Message-ID are completed, a Received field
// records the web client, local copies are delivered durably and remote ones queued
// (delivery/deliver.ts, the SMTP service's own pipeline), and temporary local failures
// go to the queue for retry. Only then is the send reported as done.
import { randomBytes } from 'node:crypto';
import type { User } from '../../directory/directory.ts';
import { deliverMessage, deferToQueue, type DeliveryDeps } from '../../delivery/deliver.ts';
import { hasHeader, editHeaders, prependHeaders } from '../../delivery/message/headers.ts';
import { missingOriginationFields, rfc5322Date } from '../../smtp/proto/received.ts';
import { isTemporary } from '../../smtp/proto/reply.ts';
import { signalRunner } from '../../queue/control.ts';
import { TandemError } from '../../../lib/errors.ts';

export interface Submission {
  readonly sender: string;
  readonly recipients: readonly string[];
  readonly data: Buffer;
}

export interface SubmitResult {
  readonly delivered: string[];
  /** Recipients handed to the queue (remote, or local ones to retry). */
  readonly queued: string[];
  /** Recipients that failed permanently while others got the message ("addr (reason)"). */
  readonly refused: string[];
  /** The message as sent (with Date, Message-ID and Received), for the Sent folder. */
  readonly data: Buffer;
}

function refuse(text: string): TandemError {
  return new TandemError('MAIL_ERR_SUBMIT_REFUSED', 'perm', text);
}

/** The checks SMTP makes at MAIL FROM and RCPT TO, before any data is stored. */
export function checkSubmission(deps: Pick<DeliveryDeps, 'directory' | 'settings'>, user: User, sub: Submission): void {
  const own = deps.directory.sendersFor(user);
  if (!own.includes(sub.sender.toLowerCase())) throw refuse(`you may not send as ${sub.sender}; your addresses are ${own.join(', ')}`);
  if (sub.recipients.length === 0) throw refuse('give at least one recipient');
  const max = deps.settings.limits.recipientsPerMessage;
  if (sub.recipients.length > max) throw refuse(`${sub.recipients.length} recipients; at most ${max} per message`);
  if (sub.data.length > deps.settings.limits.messageSizeBytes) {
    throw refuse(`the message is ${sub.data.length} bytes with its attachments; the limit is ${deps.settings.limits.messageSizeBytes}`);
  }
  for (const r of sub.recipients) {
    const res = deps.directory.resolve(r);
    if (!res) throw refuse(`"${r}" is not a valid mail address`);
    if (res.kind === 'unknown-local') throw refuse(`${res.address}: no such user here`);
    if (res.kind === 'user' && !res.user.enabled) throw refuse(`${res.address}: mailbox disabled, not accepting messages`);
  }
}

export async function submitMessage(deps: DeliveryDeps, user: User, sub: Submission, client: { ip: string; secure: boolean }): Promise<SubmitResult> {
  checkSubmission(deps, user, sub);
  const now = new Date();
  const id = `${now.getTime().toString(36)}${randomBytes(5).toString('hex')}`;
  let data = sub.data;
  const add = missingOriginationFields({ date: hasHeader(data, 'Date'), messageId: hasHeader(data, 'Message-ID') }, deps.settings.hostname, id, now);
  if (add.length > 0) data = editHeaders(data, { add });
  const ip = client.ip.replace(/[^0-9a-fA-F:.]/g, '');
  data = prependHeaders(data, [
    `Received: from webmail ([${ip}])\r\n\tby ${deps.settings.hostname} (Tandem) with ${client.secure ? 'HTTPS' : 'HTTP'} id ${id};\r\n\t${rfc5322Date(now)}`,
  ]);
  const recipients = [...new Set(sub.recipients.map((r) => r.trim().toLowerCase()))];
  let queuedAny = false;
  const outcome = await deliverMessage({ ...deps, onRemoteQueued: () => { queuedAny = true; } },
    { sender: sub.sender, recipients: recipients.map((address) => ({ address })), receivedFrom: `webmail [${ip}]` }, data);
  const failed = outcome.recipients.filter((r) => !r.ok);
  const permanent = failed.filter((f) => !isTemporary(f.reply));
  if (permanent.length > 0 && permanent.length === recipients.length) {
    throw refuse(permanent.map((f) => `${f.recipient}: ${f.reply.text}`).join('; '));
  }
  const temp = failed.filter((f) => isTemporary(f.reply)).map((f) => f.recipient);
  if (temp.length > 0) {
    if (!(await deferToQueue(deps, sub.sender, temp, data))) {
      throw new TandemError('MAIL_ERR_SUBMIT_FAILED', 'temp', 'the message could not be stored for every recipient; nothing is lost, try again');
    }
    queuedAny = true;
  }
  if (!outcome.settled) throw new TandemError('MAIL_ERR_SUBMIT_FAILED', 'temp', 'the outbound queue is not writable; try again later');
  if (queuedAny) await signalRunner(deps.layout.queueDir).catch(() => undefined);
  const remote = new Set(recipients.filter((r) => deps.directory.resolve(r)?.kind === 'remote'));
  deps.log.info({ event: 'http.submit', id, user: user.address, sender: sub.sender, size: data.length,
    recipients: outcome.recipients.map((r) => `${r.recipient}=${r.ok ? 'ok' : r.reply.code}`) });
  return {
    refused: permanent.map((f) => `${f.recipient} (${f.reply.text})`),
    delivered: recipients.filter((r) => !remote.has(r) && !temp.includes(r) && !permanent.some((f) => f.recipient === r)),
    queued: [...recipients.filter((r) => remote.has(r)), ...temp],
    data,
  };
}
