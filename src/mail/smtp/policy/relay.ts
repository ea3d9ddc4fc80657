// Who may send what where (DESIGN 3.7, "no open relay, ever"): the decisions made at
// MAIL FROM and RCPT TO from facts about the client. Pure: the caller resolves the
// address in the directory and checks the client network; nothing here does I/O.
import type { Resolved } from '../../delivery/policy/expand.ts';
import { parseAddress, stripSubaddress, formatAddress } from '../../core/address.ts';
import { REPLIES, type Reply } from '../proto/reply.ts';

/** The three listeners: MX (port 25), submission (587, STARTTLS) and submissions (465). */
export type ListenerKind = 'smtp' | 'submission' | 'submissions';

export interface ClientFacts {
  readonly listener: ListenerKind;
  /** The authenticated user's address, or null. */
  readonly user: string | null;
  /** The client address lies in relay.networks (loopback is never implied). */
  readonly inRelayNetwork: boolean;
}

/** RCPT TO: where the recipient goes, or why it is refused. */
export type RcptVerdict =
  | { readonly ok: true; readonly route: 'local' | 'remote' }
  | { readonly ok: false; readonly reply: Reply };

/**
 * Relay decision for one recipient. Local addresses are for anyone (that is what an MX
 * is for); remote ones only for authenticated users or relay networks.
 */
export function decideRecipient(facts: ClientFacts, address: string, resolved: Resolved | null): RcptVerdict {
  if (!resolved) return { ok: false, reply: REPLIES.badRecipientSyntax(address) };
  switch (resolved.kind) {
    case 'remote':
      if (facts.user !== null || facts.inRelayNetwork) return { ok: true, route: 'remote' };
      return { ok: false, reply: REPLIES.relayDenied(resolved.address) };
    case 'unknown-local':
      return { ok: false, reply: REPLIES.unknownUser(resolved.address) };
    case 'user':
      if (!resolved.user.enabled) return { ok: false, reply: REPLIES.disabledUser(resolved.address) };
      return { ok: true, route: 'local' };
    case 'alias':
    case 'list':
    case 'catchall':
    case 'list-service':
      return { ok: true, route: 'local' };
  }
}

/**
 * MAIL FROM decision. Submission ports need a login; a logged-in user may only use
 * its own addresses (`allowedSenders`, from directory.sendersFor), sub-addresses
 * included. Unauthenticated MX clients may use any well-formed sender, including <>.
 */
export function decideSender(facts: ClientFacts, sender: string, allowedSenders: readonly string[]): Reply | null {
  if (facts.listener !== 'smtp' && facts.user === null) return REPLIES.authRequired();
  if (sender !== '' && !parseAddress(sender)) return REPLIES.badSenderSyntax(sender);
  if (facts.user === null) return null;
  if (sender === '') return REPLIES.senderNotOwned(sender, facts.user);
  const parsed = parseAddress(sender)!;
  const candidates = new Set([formatAddress(parsed), formatAddress(stripSubaddress(parsed))]);
  const allowed = new Set(allowedSenders.map((s) => s.toLowerCase()));
  for (const c of candidates) if (allowed.has(c)) return null;
  return REPLIES.senderNotOwned(sender, facts.user);
}
