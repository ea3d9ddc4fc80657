// Delivery of one received message: loop checks, recipient expansion, list header
// edits, then every local copy into its Maildir and every remote copy into the queue,
// all durably (DESIGN 3.1) and concurrently, so copies share directory fsyncs. The
// decisions come from policy/ (pure); this file only performs them.
import { randomBytes } from 'node:crypto';
import type { MailContext } from '../core/context.ts';
import type { User } from '../directory/directory.ts';
import { deliverToMaildir } from '../storage/maildir.ts';
import { readUsage, addUsage, exceedsQuota } from '../storage/quota.ts';
import { enqueueMessage, type QueueRecipient } from '../queue/spool.ts';
import { errorId } from '../../lib/errors.ts';
import { expandRecipients, type Lookup } from './policy/expand.ts';
import { listHeaderEdit } from './policy/list-headers.ts';
import { summarize, copyKey, type Outcome } from './policy/outcome.ts';
import { headerValues, prependHeaders, editHeaders } from './message/headers.ts';
import { buildBounce } from './message/bounce.ts';
import { REPLIES, isTemporary, type Reply } from '../smtp/proto/reply.ts';
import { appendDeliveryRecord } from './record.ts';
import { vacationReply } from './vacation.ts';

export type DeliveryDeps = Pick<MailContext, 'layout' | 'settings' | 'directory' | 'log'> & {
  /** Called once remote copies are queued, so the queue runner can start at once. */
  readonly onRemoteQueued?: () => void;
};

export interface EnvelopeRecipient {
  readonly address: string;
  readonly notify?: QueueRecipient['notify'];
  readonly orcpt?: string;
}

export interface DeliveryEnvelope {
  /** "" is the null sender. */
  readonly sender: string;
  readonly recipients: readonly EnvelopeRecipient[];
  readonly ret?: 'FULL' | 'HDRS';
  readonly envid?: string;
  readonly receivedFrom?: string;
}

/** Normalises a Delivered-To value ("<a@b>" or "a@b") for comparison. */
function bareAddress(value: string): string {
  return value.replace(/^.*<([^>]*)>.*$/, '$1').trim().toLowerCase();
}

/**
 * Delivers `data` (with its Received header already on) to the envelope recipients.
 * Resolves once every stored copy is durable. Stranded copies (see policy/outcome.ts)
 * are queued for retry or bounced here; the caller decides what to do about
 * recipients that failed as a whole.
 */
export interface DeliveryResult extends Outcome {
  /**
   * False when a stranded copy could be neither queued for retry nor bounced (the
   * queue is not writable). The caller must then not acknowledge the message: a
   * retry may duplicate copies, but a 250 would lose these.
   */
  readonly settled: boolean;
}

/**
 * `lookup` replaces directory.resolve, e.g. with the answers the SMTP session already
 * got at RCPT time, so a message costs one directory round per address.
 */
export async function deliverMessage(deps: DeliveryDeps, env: DeliveryEnvelope, data: Buffer, lookup: Lookup = (a) => deps.directory.resolve(a)): Promise<DeliveryResult> {
  const addresses = env.recipients.map((r) => r.address);
  const hops = headerValues(data, 'Received').length;
  if (hops > deps.settings.delivery.maxHops) {
    const reply = REPLIES.tooManyHops(hops, deps.settings.delivery.maxHops);
    return { recipients: addresses.map((r) => ({ recipient: r, ok: false, reply })), stranded: [], settled: true };
  }
  const exp = expandRecipients(addresses, { lookup, sender: env.sender });
  for (const s of exp.skipped) deps.log.info({ event: 'delivery.target.skipped', address: s.address, reason: s.reply.text });
  const deliveredTo = new Set(headerValues(data, 'Delivered-To').map(bareAddress));
  const results = new Map<string, Reply | null>();
  // Mailbox writes run at most MAILBOX_PARALLEL at once (a big list must not open
  // hundreds of files together); the queue writes run beside them.
  const stores: Array<() => Promise<void>> = [];
  const tasks: Array<Promise<void>> = [];
  let queued = false;
  const groupData = exp.groups.map((g) => (g.list ? editHeaders(data, listHeaderEdit(g.list)) : data));

  exp.groups.forEach((group, i) => {
    const copy = groupData[i]!;
    for (const { user, origins } of group.mailboxes) {
      const key = copyKey(i, 'mailbox', user.address);
      if (deliveredTo.has(user.address)) {
        results.set(key, REPLIES.alreadyDelivered(user.address));
        continue;
      }
      stores.push(() => storeCopy(deps, user, group.sender, copy).then((r) => {
        results.set(key, r);
        // Out-of-office answers go to direct mail only (list copies: group.list is set).
        if (r === null && group.list === null) void vacationReply(deps, user, origins, group.sender, copy);
      }));
    }
    if (group.remotes.length === 0) return;
    const byAddress = new Map(env.recipients.map((r) => [r.address, r]));
    const recipients = group.remotes.map((r) => {
      // DSN parameters belong to the envelope recipient; an alias passes them on.
      const origin = group.list ? undefined : byAddress.get(r.origins[0]!);
      const orcpt = origin?.orcpt ?? (origin && origin.address !== r.address ? `rfc822;${origin.address}` : undefined);
      return { address: r.address, ...(origin?.notify ? { notify: origin.notify } : {}), ...(orcpt ? { orcpt } : {}) };
    });
    tasks.push(enqueueMessage(deps.layout.queueDir, {
      sender: group.sender, recipients, data: copy,
      ...(env.ret && !group.list ? { ret: env.ret } : {}),
      ...(env.envid && !group.list ? { envid: env.envid } : {}),
      ...(env.receivedFrom ? { receivedFrom: env.receivedFrom } : {}),
    }).then(
      (entry) => {
        queued = true;
        deps.log.info({ event: 'delivery.queued', queueId: entry.id, recipients: group.remotes.length });
        for (const r of group.remotes) results.set(copyKey(i, 'remote', r.address), null);
      },
      (err: unknown) => {
        const id = errorId();
        deps.log.error({ event: 'delivery.queue.failed', err, ref: id });
        for (const r of group.remotes) results.set(copyKey(i, 'remote', r.address), REPLIES.storageFailure(id));
      },
    ));
  });
  tasks.push(runLimited(stores, MAILBOX_PARALLEL));
  await Promise.all(tasks);
  if (queued) deps.onRemoteQueued?.();

  const outcome = summarize(addresses, exp, results);
  // For the daily report (cron); written after the copies are durable, not awaited.
  const stored = [...results].filter(([k, r]) => r === null && k.split(':')[1] === 'mailbox').length;
  const remote = [...results].filter(([k, r]) => r === null && k.split(':')[1] === 'remote').length;
  void appendDeliveryRecord(deps.layout, { t: Date.now(), kind: 'received', stored, queued: remote, failed: outcome.recipients.filter((r) => !r.ok).length }, deps.log);
  let settled = true;
  // Copies that failed while their recipient (or list) still got the message.
  for (const [i, group] of exp.groups.entries()) {
    const mine = outcome.stranded.filter((x) => x.group === i);
    const temp = mine.filter((x) => isTemporary(x.reply)).map((x) => x.address);
    const perm = mine.filter((x) => !isTemporary(x.reply)).map((x) => ({ recipient: x.address, reply: x.reply }));
    if (temp.length > 0) settled = (await deferToQueue(deps, group.sender, temp, groupData[i]!)) && settled;
    if (perm.length > 0) settled = (await sendBounce(deps, { to: group.sender, failures: perm, original: groupData[i]! })) && settled;
  }
  return { ...outcome, settled };
}

/**
 * Hands recipients whose local copy failed temporarily to the queue runner, which
 * retries them through deliverLocal on its schedule and bounces them when it gives up.
 * Never throws: a failure here is logged; the rest of the message was stored.
 */
export async function deferToQueue(deps: DeliveryDeps, sender: string, recipients: string[], data: Buffer): Promise<boolean> {
  try {
    const entry = await enqueueMessage(deps.layout.queueDir, { sender, recipients, data });
    deps.log.info({ event: 'delivery.deferred', queueId: entry.id, recipients });
    void appendDeliveryRecord(deps.layout, { t: Date.now(), kind: 'deferred', recipients: recipients.length }, deps.log);
    deps.onRemoteQueued?.();
    return true;
  } catch (err) {
    deps.log.error({ event: 'delivery.defer.failed', recipients, err });
    return false;
  }
}

const MAILBOX_PARALLEL = 32;

/** Runs the jobs with at most `limit` in flight. */
async function runLimited(jobs: ReadonlyArray<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}

/** Stores one copy in a user's INBOX with Return-Path and Delivered-To; null = stored. */
async function storeCopy(deps: DeliveryDeps, user: User, sender: string, data: Buffer): Promise<Reply | null> {
  const root = deps.layout.maildir(user.domain, user.local);
  // The per-copy fields are written in front of the shared bytes, never copied with them.
  const head = prependHeaders(Buffer.alloc(0), [`Return-Path: <${sender}>`, `Delivered-To: ${user.address}`]);
  const size = head.length + data.length;
  try {
    if (user.quotaBytes > 0) {
      const usage = await readUsage(root, user.quotaBytes);
      if (exceedsQuota(usage, user.quotaBytes, size)) {
        deps.log.info({ event: 'delivery.quota.exceeded', user: user.address, used: usage.bytes, quota: user.quotaBytes, size });
        return deps.settings.delivery.quotaExceeded === 'reject' ? REPLIES.quotaPerm(user.address) : REPLIES.quotaTemp(user.address);
      }
    }
    const msg = await deliverToMaildir(root, (async function* () { yield head; yield data; })());
    if (user.quotaBytes > 0) await addUsage(root, { bytes: msg.size, count: 1 });
    deps.log.debug({ event: 'delivery.stored', user: user.address, file: msg.filename });
    return null;
  } catch (err) {
    const id = errorId();
    deps.log.error({ event: 'delivery.store.failed', user: user.address, err, ref: id });
    return REPLIES.storageFailure(id);
  }
}

export interface BounceRequest {
  readonly to: string;
  readonly failures: ReadonlyArray<{ recipient: string; reply: Reply; orcpt?: string }>;
  readonly original: Buffer;
  readonly ret?: 'FULL' | 'HDRS';
  readonly envid?: string;
}

/**
 * Sends a DSN with the null sender (so it can never bounce again). A bounce that meets
 * a temporary failure is queued for retry; one that fails permanently is dropped and
 * logged (there is nobody left to tell). Never throws; false when it could be neither
 * delivered nor queued.
 */
export async function sendBounce(deps: DeliveryDeps, req: BounceRequest): Promise<boolean> {
  if (req.to === '' || req.failures.length === 0) return true;
  const now = new Date();
  const token = `${now.getTime().toString(36)}${randomBytes(6).toString('hex')}`;
  const dsn = buildBounce({ hostname: deps.settings.hostname, ...req, arrival: now, now, token });
  const received = `Received: by ${deps.settings.hostname} (Tandem) id ${token}; ${now.toUTCString().replace('GMT', '+0000')}`;
  const data = prependHeaders(dsn, [received]);
  try {
    const out = await deliverMessage(deps, { sender: '', recipients: [{ address: req.to }] }, data);
    const r = out.recipients[0]!;
    deps.log.info({ event: 'delivery.bounce.sent', to: req.to, ok: r.ok, reason: r.ok ? undefined : r.reply.text, failures: req.failures.length });
    void appendDeliveryRecord(deps.layout, { t: Date.now(), kind: 'bounce', recipients: req.failures.length }, deps.log);
    if (!r.ok && isTemporary(r.reply)) return deferToQueue(deps, '', [req.to], data);
    return out.settled;
  } catch (err) {
    deps.log.error({ event: 'delivery.bounce.failed', to: req.to, err });
    return false;
  }
}
