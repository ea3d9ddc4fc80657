// The cron service (`tandem mail serve cron`): runs the jobs of the `cron` settings on
// their schedules (UTC), one at a time. It runs where the mail group is active (the
// cluster starts it there, like every mail service), and at start it re-runs a job that
// a crash or failover cut short and catches up a run missed while it was down.
import { Cron } from 'croner';
import type { MailContext, RunningService } from '../core/context.ts';
import { dueAtStart, type JobSchedule } from './policy/due.ts';
import { JOB_NAMES } from './jobs/index.ts';
import type { JobName } from './jobs/job.ts';
import { runJob } from './runner.ts';
import { readAllJobStates, writeJobState } from './state.ts';

/** The first scheduled time after `after`, for a 5-field schedule in UTC. */
export function nextRunAfter(schedule: string, after: number): number | null {
  const c = new Cron(schedule, { paused: true, timezone: 'UTC' });
  const next = c.nextRun(new Date(after));
  c.stop();
  return next ? next.getTime() : null;
}

/** How long close() lets a running job finish before the process goes (it re-runs next start). */
const CLOSE_GRACE_MS = 10_000;

export async function startCronService(ctx: MailContext): Promise<RunningService> {
  const { settings, log } = ctx;
  const schedules: Array<JobSchedule & { job: JobName }> = JOB_NAMES.map((job) => ({
    job, enabled: settings.cron.jobs[job].enabled, nextAfter: (after: number) => nextRunAfter(settings.cron.jobs[job].schedule, after),
  }));
  const now = Date.now();
  const states = await readAllJobStates(ctx.layout, JOB_NAMES);
  for (const s of schedules) {
    if (s.enabled && !states.has(s.job)) {
      // First sight of this job: count missed runs from now on, not since 1970.
      await writeJobState(ctx.layout, { job: s.job, startedAt: null, finishedAt: null, ok: null, summary: '', knownSince: now });
    }
  }

  const queue: JobName[] = [];
  let running: Promise<void> | null = null;
  let current: JobName | null = null;
  let closing = false;
  const abandon = new AbortController();
  const enqueue = (job: JobName, reason: string) => {
    if (closing || current === job || queue.includes(job)) {
      log.info({ event: 'cron.job.skipped', job, reason: `${reason}; it is already running or queued` });
      return;
    }
    queue.push(job);
    log.info({ event: 'cron.job.queued', job, reason });
    running ??= drain();
  };
  const drain = async () => {
    while (queue.length > 0 && !closing) {
      current = queue.shift()!;
      try {
        await runJob(ctx, current, Date.now, abandon.signal);
      } catch (e) {
        // Only the state file write can throw here; the job is left "started" and re-runs.
        log.error({ event: 'cron.job.state-failed', job: current, error: (e as Error).message });
      }
      current = null;
    }
    running = null;
  };

  const crons: Cron[] = [];
  for (const s of schedules) {
    if (!s.enabled) continue;
    const pattern = settings.cron.jobs[s.job].schedule;
    crons.push(new Cron(pattern, { timezone: 'UTC' }, () => enqueue(s.job, `scheduled (${pattern})`)));
  }
  for (const d of dueAtStart(schedules, states, now)) enqueue(d.job as JobName, d.reason);
  log.info({ event: 'cron.started', jobs: schedules.filter((s) => s.enabled).map((s) => s.job) });

  return {
    name: 'cron',
    listening: [],
    async close() {
      closing = true;
      for (const c of crons) c.stop();
      if (running) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([running, new Promise<void>((resolve) => { timer = setTimeout(resolve, CLOSE_GRACE_MS); })]);
        clearTimeout(timer);
        // Still running: whatever it records from now on (after the directory closes)
        // must not count as a finished run.
        if (current) abandon.abort();
      }
      log.info({ event: 'cron.closed', cut: current });
    },
  };
}
