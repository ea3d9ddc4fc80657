// deliverLocal(): the entry point for mail made on this server rather than received
// over SMTP - the queue runner's bounces to local senders, above all. Same delivery
// path and guarantees as SMTP; it adds its own Received line.
import { randomBytes } from 'node:crypto';
import type { MailContext } from '../core/context.ts';
import { deliverMessage, type DeliveryDeps } from './deliver.ts';
import { prependHeaders } from './message/headers.ts';
import { formatReply } from '../smtp/proto/reply.ts';

export interface LocalResult {
  recipient: string;
  ok: boolean;
  code: number;
  /** "2.0.0 ..." or the failure, enhanced code first. */
  message: string;
}

/**
 * Delivers `data` to local recipients (aliases and lists expand as usual; external
 * alias targets are queued). Resolves when every copy is durable, with one result per
 * envelope recipient. A failure with code 4xx may be retried; 5xx is final.
 */
export async function deliverLocal(
  ctx: MailContext | DeliveryDeps,
  envelope: { sender: string; recipients: string[] },
  data: Buffer,
): Promise<LocalResult[]> {
  const id = randomBytes(6).toString('hex');
  const received = `Received: by ${ctx.settings.hostname} (Tandem) with LOCAL id ${id}; ${new Date().toUTCString().replace('GMT', '+0000')}`;
  const outcome = await deliverMessage(ctx, { sender: envelope.sender, recipients: envelope.recipients.map((address) => ({ address })) }, prependHeaders(data, [received]));
  if (!outcome.settled) {
    // A copy could not be queued: have the runner retry everything (duplicates over loss).
    return envelope.recipients.map((recipient) => ({ recipient, ok: false, code: 451, message: `4.3.0 local delivery incomplete (${id}); will retry` }));
  }
  return outcome.recipients.map((r) => ({
    recipient: r.recipient,
    ok: r.ok,
    code: r.ok ? 250 : r.reply.code,
    message: r.ok ? `2.0.0 delivered (${id})` : formatReply(r.reply).slice(4),
  }));
}
