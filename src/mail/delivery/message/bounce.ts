// Builds a bounce: an RFC 3464 delivery status notification (multipart/report) for
// recipients that could not get a message that was otherwise accepted. Pure: the
// caller supplies the time and ids and sends the result with the null sender.
import { headerEnd } from './headers.ts';
import { formatReply, type Reply } from '../../smtp/proto/reply.ts';

export interface BounceInput {
  readonly hostname: string;
  /** Who gets the bounce: the original envelope sender. */
  readonly to: string;
  readonly failures: ReadonlyArray<{ recipient: string; reply: Reply; orcpt?: string }>;
  /** The original message; its header block is attached (all of it with RET=FULL). */
  readonly original: Buffer;
  readonly ret?: 'FULL' | 'HDRS';
  readonly envid?: string;
  readonly arrival: Date;
  readonly now: Date;
  /** Unique token for Message-ID and the MIME boundary. */
  readonly token: string;
}

/** The status a DSN states: a failure we will not retry is permanent (class 5). */
function finalStatus(r: Reply): string {
  return r.enhanced.replace(/^4\./, '5.');
}

export function buildBounce(b: BounceInput): Buffer {
  const boundary = `=_tandem_${b.token}`;
  const lines = (xs: string[]) => xs.join('\r\n');
  const head = lines([
    `From: Mail Delivery System <MAILER-DAEMON@${b.hostname}>`,
    `To: <${b.to}>`,
    'Subject: Undelivered Mail Returned to Sender',
    `Date: ${b.now.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${b.token}.bounce@${b.hostname}>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    '',
  ]);
  const text = lines([
    `This is the mail system at host ${b.hostname}.`,
    '',
    'Your message could not be delivered to one or more recipients.',
    'It was delivered to the others; nothing more will be attempted for these:',
    '',
    ...b.failures.map((f) => `<${f.recipient}>: ${formatReply(f.reply)}`),
    '',
  ]);
  const perMessage = [`Reporting-MTA: dns; ${b.hostname}`];
  if (b.envid) perMessage.push(`Original-Envelope-Id: ${b.envid}`);
  perMessage.push(`Arrival-Date: ${b.arrival.toUTCString().replace('GMT', '+0000')}`);
  const perRecipient = b.failures.map((f) => lines([
    `Final-Recipient: rfc822; ${f.recipient}`,
    ...(f.orcpt ? [`Original-Recipient: ${f.orcpt}`] : []),
    'Action: failed',
    `Status: ${finalStatus(f.reply)}`,
    `Diagnostic-Code: smtp; ${formatReply(f.reply)}`,
  ]));
  const full = b.ret === 'FULL';
  const attached = full ? b.original : b.original.subarray(0, headerEnd(b.original));
  const parts = [
    Buffer.from(lines([
      head,
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      text,
      `--${boundary}`,
      'Content-Type: message/delivery-status',
      '',
      [lines(perMessage), ...perRecipient].join('\r\n\r\n'),
      '',
      `--${boundary}`,
      `Content-Type: ${full ? 'message/rfc822' : 'text/rfc822-headers'}`,
      '',
      '',
    ]), 'utf8'),
    attached,
    Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'),
  ];
  return Buffer.concat(parts);
}
