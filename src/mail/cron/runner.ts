// Runs one job with its durable bookkeeping: "started" is on disk before the job does
// anything, "finished" after it ended, so a crash or failover in between is seen by
// the next cron process (policy/due.ts) and the job runs again.
import { access } from 'node:fs/promises';
import type { MailContext } from '../core/context.ts';
import { JOBS } from './jobs/index.ts';
import type { JobName } from './jobs/job.ts';
import { cronDir, readJobState, writeJobState } from './state.ts';
import { tryLockEntry } from '../queue/lock.ts';
import { mkdirDurable } from '../../lib/durable.ts';

export interface JobRun { readonly job: JobName; readonly ok: boolean; readonly summary: string; readonly startedAt: number; readonly finishedAt: number }

/**
 * Test hook for the crash tests: while the file named by TANDEM_CRON_HOLD_FILE exists,
 * a started job waits (at most 120 s) before its work, so a test can kill the process
 * in the middle of a run. Unset in production.
 */
async function holdForTests(): Promise<void> {
  const file = process.env.TANDEM_CRON_HOLD_FILE;
  if (!file) return;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && (await access(file).then(() => true, () => false))) {
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Runs a job. When `signal` is aborted before the job ends (the service is stopping and
 * gave up waiting), the end is not recorded: the state stays "started", so the next
 * cron process runs the job again instead of trusting a run that was cut short.
 */
export async function runJob(ctx: MailContext, job: JobName, now = Date.now, signal?: AbortSignal): Promise<JobRun> {
  // One run of a job at a time per volume: the service and `tandem mail cron run`, or a
  // second cron process started by mistake. A dead holder's lock is taken over.
  await mkdirDurable(cronDir(ctx.layout));
  const lock = await tryLockEntry(cronDir(ctx.layout), job);
  if (!lock) {
    ctx.log.info({ event: 'cron.job.skipped', job, reason: 'running in another process' });
    const t = now();
    return { job, ok: false, summary: `${job} is already running in another process; not started`, startedAt: t, finishedAt: t };
  }
  try {
    return await runLocked(ctx, job, now, signal);
  } finally {
    await lock.release();
  }
}

async function runLocked(ctx: MailContext, job: JobName, now: () => number, signal?: AbortSignal): Promise<JobRun> {
  const before = await readJobState(ctx.layout, job);
  const startedAt = now();
  await writeJobState(ctx.layout, {
    job, startedAt, finishedAt: before?.finishedAt ?? null, ok: before?.ok ?? null, summary: before?.summary ?? '', knownSince: before?.knownSince ?? startedAt,
  });
  ctx.log.info({ event: 'cron.job.started', job });
  let ok = true;
  let summary: string;
  try {
    await holdForTests();
    summary = await JOBS[job].run({ ctx, now: startedAt });
  } catch (e) {
    ok = false;
    summary = `failed: ${(e as Error).message}`;
    ctx.log.error({ event: 'cron.job.failed', job, error: (e as Error).stack });
  }
  const finishedAt = Math.max(now(), startedAt);
  if (signal?.aborted) {
    ctx.log.warn({ event: 'cron.job.abandoned', job, summary });
    return { job, ok: false, summary: `abandoned at shutdown (runs again at next start): ${summary}`, startedAt, finishedAt };
  }
  await writeJobState(ctx.layout, { job, startedAt, finishedAt, ok, summary, knownSince: before?.knownSince ?? startedAt });
  ctx.log.info({ event: 'cron.job.finished', job, ok, summary, ms: finishedAt - startedAt });
  return { job, ok, summary, startedAt, finishedAt };
}
