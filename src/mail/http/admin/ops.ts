// Admin operations that are more than one directory call, shared by the console and
// the JSON API: the queue (list, show, flush, delete), the mail log (the services' log
// files), the state of the services (which listeners answer) and account changes that
// must also end sessions.
import { connect } from 'node:net';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { MailContext } from '../../core/context.ts';
import type { WebDb } from '../store/web-db.ts';
import { dataPath, listEntryIds, readEntry, type QueueEntry } from '../../queue/spool.ts';
import { headerBlock } from '../../queue/dsn.ts';
import { deleteQueueEntry, flushQueue } from '../../queue/control.ts';
import { serviceNames } from '../../serve/registry.ts';
import { TandemError } from '../../../lib/errors.ts';
import { JOBS, JOB_NAMES, isJobName } from '../../cron/jobs/index.ts';
import { runJob, type JobRun } from '../../cron/runner.ts';
import { nextRunAfter } from '../../cron/service.ts';
import { readAllJobStates } from '../../cron/state.ts';

const QUEUE_ID = /^[A-Za-z0-9_-]{1,80}$/;

const noEntry = (id: string) => new TandemError('MAIL_ERR_QUEUE_NO_ENTRY', 'not-found', `no queue entry "${id}" (see "tandem mail queue list")`);

function checkQueueId(id: string): string {
  if (!QUEUE_ID.test(id)) throw noEntry(id);
  return id;
}

export interface QueueRow {
  id: string; sender: string; recipients: QueueEntry['recipients']; createdAt: number; nextAttemptAt: number; size: number;
  pending: number; delivered: number; failed: number;
}

function row(e: QueueEntry): QueueRow {
  const n = (s: string) => e.recipients.filter((r) => r.status === s).length;
  return { id: e.id, sender: e.sender, recipients: e.recipients, createdAt: e.createdAt, nextAttemptAt: e.nextAttemptAt, size: e.size,
    pending: n('pending'), delivered: n('delivered'), failed: n('failed') };
}

/** Queue entries, oldest first; at most `limit` (the queue may be large after an outage). */
export async function listQueue(ctx: MailContext, limit = 500): Promise<{ total: number; entries: QueueRow[] }> {
  const ids = await listEntryIds(ctx.layout.queueDir);
  const entries: QueueRow[] = [];
  for (const id of ids.slice(0, limit)) {
    const e = await readEntry(ctx.layout.queueDir, id).catch(() => null);
    if (e) entries.push(row(e));
  }
  return { total: ids.length, entries };
}

export async function showQueueEntry(ctx: MailContext, id: string): Promise<QueueRow> {
  const e = await readEntry(ctx.layout.queueDir, checkQueueId(id));
  if (!e) throw noEntry(id);
  return row(e);
}

/** How much of a queued message is read to show its header. */
const HEADER_READ_BYTES = 256 * 1024;

export interface QueueDetail extends QueueRow {
  ret: QueueEntry['ret'] | null; envid: string | null; receivedFrom: string | null; lastAttemptAt: number | null;
  /** The message's header block, or null when its data file is missing. */
  headers: string | null;
}

/** One entry with its envelope details and the message header (`queue show`). */
export async function queueEntryDetail(ctx: MailContext, id: string): Promise<QueueDetail> {
  const r = await showQueueEntry(ctx, id);
  const e = (await readEntry(ctx.layout.queueDir, r.id))!;
  let headers: string | null = null;
  const fh = await open(dataPath(ctx.layout.queueDir, r.id), 'r').catch(() => null);
  if (fh) {
    try {
      const buf = Buffer.alloc(HEADER_READ_BYTES);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      headers = headerBlock(buf.subarray(0, bytesRead)).toString('utf8');
    } finally {
      await fh.close();
    }
  }
  return { ...r, ret: e.ret ?? null, envid: e.envid ?? null, receivedFrom: e.receivedFrom ?? null, lastAttemptAt: e.lastAttemptAt ?? null, headers };
}

export async function flush(ctx: MailContext, id: string | null) {
  return flushQueue(ctx.layout.queueDir, id === null ? null : checkQueueId(id));
}

export async function deleteEntry(ctx: MailContext, id: string, bounce: boolean) {
  return deleteQueueEntry(ctx, checkQueueId(id), bounce);
}

// ---- mail log ------------------------------------------------------------------

export interface LogLine { time: string; service: string; level: number; event: string; msg: string; fields: Record<string, unknown> }

/** How much of the end of each log file is read: the page shows recent events only. */
const LOG_TAIL_BYTES = 2 * 1024 * 1024;

async function tail(file: string, bytes: number): Promise<string> {
  const st = await stat(file).catch(() => null);
  if (!st) return '';
  const fh = await open(file, 'r');
  try {
    const start = Math.max(0, st.size - bytes);
    const buf = Buffer.alloc(st.size - start);
    await fh.read(buf, 0, buf.length, start);
    const text = buf.toString('utf8');
    return start > 0 ? text.slice(text.indexOf('\n') + 1) : text;
  } finally {
    await fh.close();
  }
}

export interface LogQuery { service?: string; event?: string; text?: string; limit: number }

/**
 * Recent mail events from DIR/SERVICE.log (http.logDir), newest first. Lines that are not
 * JSON (a crash trace) are shown as they are.
 */
export async function readMailLog(ctx: MailContext, q: LogQuery): Promise<{ configured: boolean; dir: string | null; lines: LogLine[] }> {
  const dir = ctx.settings.http.logDir === null ? null : ctx.layout.cfgPath(ctx.settings.http.logDir);
  if (dir === null) return { configured: false, dir: null, lines: [] };
  const services = q.service ? [q.service] : serviceNames();
  if (q.service && !/^[a-z0-9-]{1,30}$/.test(q.service)) throw new TandemError('HTTP_ERR_INVALID', 'invalid', `unknown service "${q.service}"`);
  const lines: LogLine[] = [];
  for (const service of services) {
    for (const raw of (await tail(join(dir, `${service}.log`), LOG_TAIL_BYTES)).split('\n')) {
      if (raw.trim() === '') continue;
      let parsed: Record<string, unknown>;
      try { parsed = JSON.parse(raw) as Record<string, unknown>; } catch { parsed = { msg: raw }; }
      const { time, level, event, msg, pid: _pid, component: _c, volume: _v, hostname: _h, ...fields } = parsed;
      const line: LogLine = { time: String(time ?? ''), service, level: Number(level ?? 30), event: String(event ?? ''), msg: String(msg ?? ''), fields };
      if (q.event && !line.event.startsWith(q.event)) continue;
      if (q.text && !raw.toLowerCase().includes(q.text.toLowerCase())) continue;
      lines.push(line);
    }
  }
  lines.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
  return { configured: true, dir, lines: lines.slice(0, q.limit) };
}

// ---- services ------------------------------------------------------------------

export interface ListenerState { service: string; listener: string; address: string; port: number | null; answering: boolean | null }

/** Which service owns each listener of the settings. */
const LISTENERS: ReadonlyArray<readonly [string, string]> = [
  ['smtp', 'smtp'], ['smtp', 'submission'], ['smtp', 'submissions'], ['pop3', 'pop3'], ['pop3', 'pop3s'],
  ['imap', 'imap'], ['imap', 'imaps'], ['http', 'http'], ['http', 'https'], ['ldap', 'ldap'], ['ldap', 'ldaps'], ['password', 'password'],
];

function probe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Every configured listener and whether something answers on it now. A listener with
 * port 0 (tests) cannot be probed; null means "not known".
 */
export async function serviceStates(ctx: MailContext, self: { listening: string[] }): Promise<ListenerState[]> {
  const listen = ctx.settings.listen as unknown as Record<string, { port: number | null } | string>;
  const host = ctx.settings.listen.address === '0.0.0.0' ? '127.0.0.1' : ctx.settings.listen.address === '::' ? '::1' : ctx.settings.listen.address;
  return Promise.all(LISTENERS.map(async ([service, listener]) => {
    const conf = listen[listener];
    const port = typeof conf === 'object' && conf ? conf.port : null;
    let answering: boolean | null = null;
    if (service === 'http') answering = port === null ? null : port === 0 ? self.listening.length > 0 : await probe(host, port, 1000);
    else if (port !== null && port !== 0) answering = await probe(host, port, 1000);
    return { service, listener, address: host, port, answering };
  }));
}

// ---- accounts ------------------------------------------------------------------

/** After a password reset, a disable or a delete: the user's open sessions end. */
export function endSessions(web: WebDb, address: string): void {
  web.endSessionsOf(address);
}

// ---- cron ----------------------------------------------------------------------

export interface CronJobView {
  job: string; description: string; schedule: string; enabled: boolean;
  startedAt: string | null; finishedAt: string | null;
  /** null: never finished; a run that started after the last end was cut short (interrupted). */
  ok: boolean | null; interrupted: boolean; summary: string; nextRunAt: string | null;
}

const isoOrNull = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : null);

/** Every cron job: schedule (UTC), enabled, last start and end, result, next run. */
export async function cronJobs(ctx: MailContext, now = Date.now()): Promise<CronJobView[]> {
  const states = await readAllJobStates(ctx.layout, JOB_NAMES);
  return JOB_NAMES.map((job) => {
    const cfg = ctx.settings.cron.jobs[job];
    const st = states.get(job);
    return {
      job, description: JOBS[job].description, schedule: cfg.schedule, enabled: cfg.enabled,
      startedAt: isoOrNull(st?.startedAt), finishedAt: isoOrNull(st?.finishedAt), ok: st?.ok ?? null,
      interrupted: st?.startedAt != null && (st.finishedAt == null || st.finishedAt < st.startedAt),
      summary: st?.summary ?? '', nextRunAt: cfg.enabled ? isoOrNull(nextRunAfter(cfg.schedule, now)) : null,
    };
  });
}

/** Runs one job now, in this process (one run per job per volume: the runner's lock). */
export async function runCronJob(ctx: MailContext, job: string): Promise<JobRun> {
  if (!isJobName(job)) throw new TandemError('MAIL_ERR_NOT_FOUND', 'not-found', `no cron job "${job}"; the jobs are: ${JOB_NAMES.join(', ')}`);
  return runJob(ctx, job);
}

