// The one reply to DATA (smtp-server gives one reply per message, not one per
// recipient). Rule: if every recipient failed, nothing was stored and the client gets
// the failure itself - a temporary one when any failure is temporary, so the client
// retries and nobody is bounced for a full mailbox. If at least one recipient got the
// message, the client gets 250 (a retry would duplicate the stored copies) and the
// failed recipients are settled by the server: temporary failures are queued and
// retried by the queue runner, permanent ones are bounced (RFC 3464 DSN) to the sender.
import { REPLIES, isTemporary, type Reply } from '../proto/reply.ts';

export interface RecipientOutcome {
  readonly recipient: string;
  readonly ok: boolean;
  /** The recipient's own result: 250 or the failure. */
  readonly reply: Reply;
}

export interface DataDecision {
  readonly reply: Reply;
  /** Failures the server settles itself after a 250: queue if temporary, else bounce. */
  readonly failed: RecipientOutcome[];
}

export function decideDataReply(outcomes: readonly RecipientOutcome[], messageId: string): DataDecision {
  const failed = outcomes.filter((o) => !o.ok);
  if (failed.length === 0) return { reply: REPLIES.accepted(messageId), failed: [] };
  if (failed.length === outcomes.length) {
    const temp = failed.find((o) => isTemporary(o.reply));
    return { reply: (temp ?? failed[0]!).reply, failed: [] };
  }
  return { reply: REPLIES.acceptedPartly(messageId, failed.length), failed };
}
