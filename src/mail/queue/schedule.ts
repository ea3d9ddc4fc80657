// Pure queue decisions: when to try again, when a message expires, what an SMTP outcome
// means for a recipient, and in which order to try MX hosts. No I/O and no clock: the
// caller passes `now` and the jitter, so every rule is a table test (schedule.test.ts).

/** What one delivery attempt for one recipient produced. */
export type AttemptOutcome =
  | { kind: 'accepted'; reply: string }
  /** An SMTP reply other than 2xx (MAIL, RCPT, DATA or the greeting), or a synthesized one (null MX). */
  | { kind: 'reply'; code: number; text: string }
  /** Connection refused or reset, DNS failure, TLS failure, connection closed. */
  | { kind: 'network'; error: string }
  | { kind: 'timeout'; error: string };

/** What an outcome means for the recipient's state. */
export type Verdict =
  | { kind: 'delivered'; result: string; status: string }
  | { kind: 'failed'; result: string; status: string }
  | { kind: 'retry'; result: string; status: string };

export interface ExpiryPolicy {
  readonly now: number;
  readonly createdAt: number;
  readonly maxAgeSeconds: number;
}

export const EXPIRED_TEXT = 'delivery time expired';

/** The instant after which temporary failures become permanent. */
export function expiresAt(createdAt: number, maxAgeSeconds: number): number {
  return createdAt + maxAgeSeconds * 1000;
}

export function isExpired(p: ExpiryPolicy): boolean {
  return p.now >= expiresAt(p.createdAt, p.maxAgeSeconds);
}

/**
 * Delay before the next attempt, after `attempts` attempts (1 = the first one failed).
 * The schedule's last delay repeats. `jitter` in [0, 1) stretches the delay by up to
 * 10%, so entries that failed together (a remote outage) do not all retry in one burst.
 */
export function retryDelayMs(attempts: number, schedule: readonly number[], jitter: number): number {
  if (schedule.length === 0) throw new Error('retryDelayMs: empty retry schedule');
  const index = Math.min(Math.max(attempts, 1), schedule.length) - 1;
  const base = schedule[index]! * 1000;
  const j = Math.min(Math.max(jitter, 0), 0.999999);
  return Math.round(base * (1 + 0.1 * j));
}

export function nextAttemptAt(now: number, attempts: number, schedule: readonly number[], jitter: number): number {
  return now + retryDelayMs(attempts, schedule, jitter);
}

/** Splits "550 5.1.1 No such user" into code, enhanced status and text. */
export function parseReply(reply: string): { code: number | null; status: string | null; text: string } {
  const m = /^([2-5]\d\d)[ -]?(?:([245]\.\d{1,3}\.\d{1,3}))?\s*([\s\S]*)$/.exec(reply.trim());
  if (!m) return { code: null, status: null, text: reply.trim() };
  return { code: Number(m[1]), status: m[2] ?? null, text: (m[3] ?? '').trim() };
}

function statusOf(code: number, text: string): string {
  const enhanced = parseReply(`${code} ${text}`).status;
  if (enhanced && enhanced[0] === String(code)[0]) return enhanced;
  return code >= 500 ? '5.0.0' : code >= 400 ? '4.0.0' : '2.0.0';
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * Classifies one outcome (RFC 5321 4.2.1, RFC 3463): 2xx delivered, 5xx permanent,
 * 4xx / network / timeout temporary, and a temporary failure after expiry is final.
 */
export function classifyOutcome(outcome: AttemptOutcome, expiry: ExpiryPolicy): Verdict {
  if (outcome.kind === 'accepted') return { kind: 'delivered', result: oneLine(outcome.reply), status: '2.0.0' };
  if (outcome.kind === 'reply' && outcome.code >= 200 && outcome.code < 300) {
    return { kind: 'delivered', result: oneLine(`${outcome.code} ${outcome.text}`), status: statusOf(outcome.code, outcome.text) };
  }
  if (outcome.kind === 'reply' && outcome.code >= 500) {
    return { kind: 'failed', result: oneLine(`${outcome.code} ${outcome.text}`), status: statusOf(outcome.code, outcome.text) };
  }
  const result = outcome.kind === 'reply' ? oneLine(`${outcome.code} ${outcome.text}`) : oneLine(outcome.error);
  const status = outcome.kind === 'reply' ? statusOf(outcome.code, outcome.text) : outcome.kind === 'timeout' ? '4.4.2' : '4.4.1';
  if (isExpired(expiry)) {
    // Sendmail's convention: Action failed with the transient class kept, X.4.7 "delivery time expired".
    return { kind: 'failed', result: `${EXPIRED_TEXT}; last error: ${result}`, status: '4.4.7' };
  }
  return { kind: 'retry', result, status };
}

export interface MxRecord { exchange: string; priority: number }

/** Where to send mail for a domain, decided from its MX records (RFC 5321 5.1, RFC 7505). */
export type MxPlan =
  | { kind: 'hosts'; hosts: string[] }
  | { kind: 'fail'; outcome: AttemptOutcome };

/**
 * Orders MX hosts by preference (lowest first; equal preferences keep their order, which
 * the resolver randomises). No records means the implicit MX: the domain itself. A single
 * "." (null MX) means the domain accepts no mail: a permanent failure, 556 5.1.10.
 */
export function planMxHosts(domain: string, records: readonly MxRecord[]): MxPlan {
  const isNull = (r: MxRecord) => r.exchange === '' || r.exchange === '.';
  if (records.length > 0 && records.every(isNull)) {
    return { kind: 'fail', outcome: { kind: 'reply', code: 556, text: `5.1.10 ${domain} does not accept mail (null MX)` } };
  }
  const usable = records.filter((r) => !isNull(r));
  if (usable.length === 0) return { kind: 'hosts', hosts: [domain] };
  const sorted = usable.map((r, i) => ({ r, i })).sort((a, b) => a.r.priority - b.r.priority || a.i - b.i);
  const hosts: string[] = [];
  for (const { r } of sorted) {
    const host = r.exchange.replace(/\.$/, '').toLowerCase();
    if (!hosts.includes(host)) hosts.push(host);
  }
  return { kind: 'hosts', hosts };
}

/** The attempt count that drives the next delay: the most-tried pending recipient. */
export function entryAttempts(recipients: ReadonlyArray<{ status: string; attempts: number }>): number {
  return recipients.filter((r) => r.status === 'pending').reduce((max, r) => Math.max(max, r.attempts), 0);
}

/** True when no recipient is pending any more: the entry is finished. */
export function isComplete(recipients: ReadonlyArray<{ status: string }>): boolean {
  return recipients.every((r) => r.status !== 'pending');
}
