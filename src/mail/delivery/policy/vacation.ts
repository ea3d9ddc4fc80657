// When a vacation (out-of-office) reply may be sent, after RFC 3834 (automatic responses)
// and RFC 5230 section 4.5-4.6 (Sieve vacation): never to automatic or list mail, never
// to the null sender or mail robots, only when the user was addressed directly, and at
// most once per sender per interval. Pure: headers and state come in, a verdict goes out.

export interface VacationInput {
  /** Envelope sender of the incoming message ("" = null sender). */
  readonly sender: string;
  /** The user's own address and the addresses that led to it (aliases, catch-all). */
  readonly userAddresses: readonly string[];
  /** Header values of the incoming message, by lower-case field name. */
  readonly header: (name: string) => readonly string[];
  /** When this user last replied to this sender (ms), or null. */
  readonly lastReplyAt: number | null;
  readonly now: number;
  /** Minimum time between two replies to one sender (RFC 5230: default 7 days). */
  readonly intervalMs: number;
}

export type VacationVerdict = { readonly reply: true } | { readonly reply: false; readonly why: string };

export const VACATION_INTERVAL_MS = 7 * 24 * 3600 * 1000;

/** Local parts of mail robots (RFC 5230 4.6 lists owner-*, *-request, MAILER-DAEMON). */
const ROBOT = /^(mailer-daemon|postmaster|listserv|majordomo|owner-.*|.*-request|.*-bounces?|.*-owner|no-?reply|.*\+bounces?)$/i;

const ADDRESS = /[^\s<>,;:"()[\]]+@[^\s<>,;:"()[\]]+/g;

function addressesIn(values: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const v of values) for (const m of v.match(ADDRESS) ?? []) out.add(m.toLowerCase());
  return out;
}

export function vacationVerdict(i: VacationInput): VacationVerdict {
  if (i.sender === '') return { reply: false, why: 'null sender (a bounce or another automatic message)' };
  const senderLocal = i.sender.slice(0, i.sender.lastIndexOf('@'));
  if (ROBOT.test(senderLocal)) return { reply: false, why: `sender ${i.sender} is a mail robot` };
  const own = new Set(i.userAddresses.map((a) => a.toLowerCase()));
  if (own.has(i.sender.toLowerCase())) return { reply: false, why: 'mail from the user itself' };
  const auto = i.header('auto-submitted').map((v) => v.trim().toLowerCase());
  if (auto.some((v) => !v.startsWith('no'))) return { reply: false, why: `Auto-Submitted: ${auto.join(', ')}` };
  const precedence = i.header('precedence').map((v) => v.trim().toLowerCase());
  if (precedence.some((v) => v === 'bulk' || v === 'list' || v === 'junk')) return { reply: false, why: `Precedence: ${precedence.join(', ')}` };
  for (const list of ['list-id', 'list-unsubscribe', 'list-post', 'list-help']) {
    if (i.header(list).length > 0) return { reply: false, why: `mailing list mail (${list})` };
  }
  if (i.header('x-auto-response-suppress').some((v) => /\b(all|oof|autoreply)\b/i.test(v))) return { reply: false, why: 'X-Auto-Response-Suppress' };
  const addressed = addressesIn([...i.header('to'), ...i.header('cc'), ...i.header('resent-to'), ...i.header('resent-cc')]);
  if (![...own].some((a) => addressed.has(a))) return { reply: false, why: 'the user is not in To or Cc (Bcc, list or forwarded mail)' };
  if (i.lastReplyAt !== null && i.now - i.lastReplyAt < i.intervalMs) return { reply: false, why: 'already replied to this sender recently' };
  return { reply: true };
}
