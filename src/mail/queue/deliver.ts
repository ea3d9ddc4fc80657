// Delivers one queue entry once: local recipients through deps.deliverLocal, remote ones
// grouped by domain over SMTP (MX or smarthost). Each group's results are written to the
// entry's .json before the next group starts, so a 250 is recorded within milliseconds.
import { readFile } from 'node:fs/promises';
import type { MailContext } from '../core/context.ts';
import { parseAddress } from '../core/address.ts';
import { classifyOutcome, entryAttempts, isComplete, nextAttemptAt, type AttemptOutcome } from './schedule.ts';
import { dataPath, readEntry, writeEntry, type QueueEntry } from './spool.ts';
import { tryLockEntry } from './lock.ts';
import { routeByMx, smarthostTarget, type ResolveMx, type Route } from './route.ts';
import { sendViaHost, type SmtpClientOptions } from './smtp-send.ts';
import { failPending, finishEntry } from './bounce.ts';

export interface LocalResult { recipient: string; ok: boolean; code: number; message: string }
export type DeliverLocal = (ctx: MailContext, envelope: { sender: string; recipients: string[] }, data: Buffer) => Promise<LocalResult[]>;

export interface DeliveryDeps {
  readonly deliverLocal: DeliverLocal;
  readonly resolveMx: ResolveMx;
  readonly now: () => number;
  /** In [0, 1): spreads retries (schedule.ts). */
  readonly jitter: () => number;
}

export type DeliveryResult =
  | { kind: 'busy' | 'gone' | 'not-due' }
  | { kind: 'retry'; nextAttemptAt: number; pending: number }
  | { kind: 'done'; delivered: number; failed: number; dsnId: string | null };

/** Local delivery writes to our own disk; two minutes is far beyond a healthy fsync. */
const LOCAL_TIMEOUT_MS = 120_000;

/** `member`: the recipients' mailboxes are on that member system (accounts replication, S7). */
interface Group { label: string; local: boolean; domain: string; recipients: string[]; member?: string }
type GroupResult = Map<string, { outcome: AttemptOutcome; mta?: string }>;

function groupRecipients(ctx: MailContext, recipients: string[], viaSmarthost: boolean): Group[] {
  const groups = new Map<string, Group>();
  for (const rcpt of recipients) {
    const domain = parseAddress(rcpt)?.domain ?? rcpt.slice(rcpt.lastIndexOf('@') + 1).toLowerCase();
    const local = ctx.directory.isLocalDomain(domain);
    const home = local ? homeOf(ctx, rcpt) : null;
    if (home) {
      const g = groups.get(`member:${home}`) ?? { label: `member system ${home}`, local: false, domain, recipients: [], member: home };
      g.recipients.push(rcpt);
      groups.set(`member:${home}`, g);
      continue;
    }
    const key = local ? 'local' : viaSmarthost ? 'smarthost' : `domain:${domain}`;
    const g = groups.get(key) ?? { label: local ? 'local' : viaSmarthost ? 'smarthost' : domain, local, domain, recipients: [] };
    g.recipients.push(rcpt);
    groups.set(key, g);
  }
  return [...groups.values()];
}

/** The member system holding `rcpt`'s mailbox when it is not this one. */
function homeOf(ctx: MailContext, rcpt: string): string | null {
  const r = ctx.directory.resolve(rcpt);
  return r?.kind === 'user' && r.user.home ? r.user.home : null;
}

/** Where mail for member system `name` goes; a missing entry is the operator's to fix, so it is retried. */
function memberRoute(ctx: MailContext, name: string): Route {
  const m = ctx.settings.accounts.members[name];
  if (!m) return { kind: 'fail', outcome: { kind: 'network', error: `no accounts.members entry for member system "${name}" (add its host to cfg/mail.yaml)` } };
  return { kind: 'targets', targets: [{ host: m.host, port: m.port, secure: false, requireTls: false, verifyCert: false }] };
}

async function deliverLocalGroup(ctx: MailContext, deps: DeliveryDeps, entry: QueueEntry, g: Group, data: Buffer): Promise<GroupResult> {
  const out: GroupResult = new Map();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`local delivery timed out after ${LOCAL_TIMEOUT_MS} ms`)), LOCAL_TIMEOUT_MS); });
    const results = await Promise.race([deps.deliverLocal(ctx, { sender: entry.sender, recipients: g.recipients }, data), timeout]);
    for (const r of results) {
      out.set(r.recipient, { outcome: r.ok ? { kind: 'accepted', reply: `${r.code} ${r.message}` } : { kind: 'reply', code: r.code, text: r.message } });
    }
    for (const rcpt of g.recipients) if (!out.has(rcpt)) out.set(rcpt, { outcome: { kind: 'network', error: 'local delivery returned no result for this recipient' } });
  } catch (err) {
    for (const rcpt of g.recipients) out.set(rcpt, { outcome: { kind: 'network', error: `local delivery failed: ${(err as Error).message}` } });
  } finally {
    clearTimeout(timer);
  }
  return out;
}

async function deliverRemoteGroup(ctx: MailContext, deps: DeliveryDeps, entry: QueueEntry, g: Group, data: Buffer): Promise<GroupResult> {
  const q = ctx.settings.queue;
  const out: GroupResult = new Map();
  let smarthost;
  try {
    smarthost = g.member ? null : await smarthostTarget(ctx);
  } catch (err) {
    // A missing password file is the operator's to fix: retry, as for a refused login.
    for (const rcpt of g.recipients) out.set(rcpt, { outcome: { kind: 'network', error: `smarthost credentials unreadable: ${(err as Error).message}` } });
    return out;
  }
  const route: Route = g.member ? memberRoute(ctx, g.member)
    : smarthost ? { kind: 'targets', targets: [smarthost] } : await routeByMx(g.domain, deps.resolveMx, q.remotePort);
  if (route.kind === 'fail') {
    for (const rcpt of g.recipients) out.set(rcpt, { outcome: route.outcome });
    return out;
  }
  const opts: SmtpClientOptions = {
    name: ctx.settings.hostname,
    localAddress: q.sourceAddress,
    connectTimeoutMs: q.connectTimeoutSeconds * 1000,
    socketTimeoutMs: Math.max(q.connectTimeoutSeconds * 1000, 300_000),
    totalTimeoutMs: 15 * 60_000,
  };
  for (const target of route.targets) {
    const result = await sendViaHost(target, opts, entry.sender, g.recipients, data);
    for (const rcpt of g.recipients) {
      out.set(rcpt, { outcome: result.outcomes.get(rcpt) ?? { kind: 'network', error: `${target.host} gave no reply for this recipient` }, mta: target.host });
    }
    ctx.log.info({ event: 'queue.attempt', id: entry.id, mta: target.host, tls: result.tls, hostFailed: result.hostFailed }, `${entry.id}: ${g.label} via ${target.host}${result.tls ? ' (TLS)' : ''}: ${result.hostFailed ? 'host failed, trying the next one if any' : 'answered'}`);
    if (!result.hostFailed) break;
  }
  return out;
}

/** Records one group's outcomes in the entry (in memory); the caller writes it. */
function applyResults(ctx: MailContext, deps: DeliveryDeps, entry: QueueEntry, results: GroupResult, now: number): void {
  const expiry = { now, createdAt: entry.createdAt, maxAgeSeconds: ctx.settings.queue.maxAgeSeconds };
  for (const r of entry.recipients) {
    const res = results.get(r.address);
    if (!res || r.status !== 'pending') continue;
    const verdict = classifyOutcome(res.outcome, expiry);
    r.attempts += 1;
    r.lastAttemptAt = now;
    r.lastResult = verdict.result;
    r.dsnStatus = verdict.status;
    if (res.mta) r.remoteMta = res.mta;
    r.status = verdict.kind === 'delivered' ? 'delivered' : verdict.kind === 'failed' ? 'failed' : 'pending';
    ctx.log.info({ event: `queue.rcpt.${verdict.kind}`, id: entry.id, rcpt: r.address, result: verdict.result }, `${entry.id}: <${r.address}> ${verdict.kind}: ${verdict.result}`);
  }
  entry.lastAttemptAt = now;
  entry.nextAttemptAt = nextAttemptAt(now, entryAttempts(entry.recipients), ctx.settings.queue.retrySchedule, deps.jitter());
}

/** Attempts entry `id` if it is due and not locked by another process. */
export async function deliverEntry(ctx: MailContext, deps: DeliveryDeps, id: string): Promise<DeliveryResult> {
  const queueDir = ctx.layout.queueDir;
  const lock = await tryLockEntry(queueDir, id);
  if (!lock) return { kind: 'busy' };
  try {
    // Re-read under the lock: the CLI or a previous attempt may have changed it.
    const entry = await readEntry(queueDir, id);
    if (!entry) return { kind: 'gone' };
    if (entry.nextAttemptAt > deps.now()) return { kind: 'not-due' };
    let data: Buffer | null = null;
    try {
      data = await readFile(dataPath(queueDir, id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      ctx.log.error({ event: 'queue.data.missing', id }, `${id}: message data file is missing; failing its pending recipients`);
      failPending(entry, 'message data missing from the queue', '5.3.0', deps.now());
    }
    const pending = entry.recipients.filter((r) => r.status === 'pending').map((r) => r.address);
    if (data && pending.length > 0) {
      const viaSmarthost = ctx.settings.relay.smarthost !== null;
      for (const g of groupRecipients(ctx, pending, viaSmarthost)) {
        const results = g.local ? await deliverLocalGroup(ctx, deps, entry, g, data) : await deliverRemoteGroup(ctx, deps, entry, g, data);
        applyResults(ctx, deps, entry, results, deps.now());
        // Durable right away: this write is what stops a 250'd recipient being sent twice.
        await writeEntry(queueDir, entry);
      }
    }
    if (isComplete(entry.recipients)) {
      const delivered = entry.recipients.filter((r) => r.status === 'delivered').length;
      const failed = entry.recipients.length - delivered;
      const dsnId = await finishEntry(ctx, entry, data, deps.now());
      ctx.log.info({ event: 'queue.done', id, delivered, failed, dsnId }, `${id} finished: ${delivered} delivered, ${failed} failed${dsnId ? `, DSN ${dsnId}` : ''}; removed from the queue`);
      return { kind: 'done', delivered, failed, dsnId };
    }
    const left = entry.recipients.filter((r) => r.status === 'pending').length;
    ctx.log.info({ event: 'queue.deferred', id, pending: left, nextAttemptAt: entry.nextAttemptAt }, `${id}: ${left} recipient(s) deferred until ${new Date(entry.nextAttemptAt).toISOString()}`);
    return { kind: 'retry', nextAttemptAt: entry.nextAttemptAt, pending: left };
  } finally {
    await lock.release();
  }
}
