// The one reply to DATA (smtp-server gives one reply per message, not one per
// recipient). Rule: if every recipient failed, nothing was stored and the client gets
// the failure itself - a temporary one when any failure is temporary, so the client
// retries and nobody is bounced for a full mailbox. If at least one recipient got the
// message, the client gets 250 and the failed recipients are reported in a bounce
// (RFC 3464 DSN) to the sender, because a retry would duplicate the delivered copies.
import { REPLIES, isTemporary, type Reply } from '../proto/reply.ts';

export interface RecipientOutcome {
  readonly recipient: string;
  readonly ok: boolean;
  /** The recipient's own result: 250 or the failure. */
  readonly reply: Reply;
}

export interface DataDecision {
  readonly reply: Reply;
  /** Failures the sender must learn about through a bounce (empty when the reply says it). */
  readonly bounce: RecipientOutcome[];
}

export function decideDataReply(outcomes: readonly RecipientOutcome[], messageId: string): DataDecision {
  const failed = outcomes.filter((o) => !o.ok);
  if (failed.length === 0) return { reply: REPLIES.accepted(messageId), bounce: [] };
  if (failed.length === outcomes.length) {
    const temp = failed.find((o) => isTemporary(o.reply));
    return { reply: (temp ?? failed[0]!).reply, bounce: [] };
  }
  return { reply: REPLIES.acceptedWithBounces(messageId, failed.length), bounce: failed };
}
