// `tandem mail cron list|run`: the cron jobs of a volume, their schedules and last runs;
// run one now (with the same durable bookkeeping and per-job lock as the service). Works
// on this host's volume (--data) or through the admin API at the VIP (--remote), where
// the job runs in the active node's http service.
import type { Command } from 'commander';
import { JOB_NAMES, isJobName } from '../mail/cron/jobs/index.ts';
import type { JobRun } from '../mail/cron/runner.ts';
import type { CronJobView } from '../mail/http/admin/ops.ts';
import { action, printTable, CliError } from './io.ts';
import { withTargetOptions, type TargetOpts } from './remote/target.ts';
import { withAdmin, seg } from './remote/admin.ts';

const short = (iso: string | null) => (iso ? iso.replace(/\.\d+Z$/, 'Z') : '-');

export function registerCronCommands(mail: Command): void {
  const cron = mail.command('cron').description('scheduled jobs: list them, run one now');

  withTargetOptions(cron.command('list'))
    .description('every job: schedule (UTC), enabled, last start and end, result, next run')
    .option('--json', 'print JSON')
    .action(action(async (opts: TargetOpts & { json?: boolean }) => withAdmin(opts, async (api) => {
      const jobs = await api.call<CronJobView[]>('GET', '/cron');
      printTable(jobs.map((j) => ({
        job: j.job, schedule: j.schedule, enabled: j.enabled, lastStart: short(j.startedAt), lastEnd: short(j.finishedAt),
        result: j.interrupted ? 'interrupted (runs again when the service starts)' : j.ok === null ? '-' : j.ok ? 'ok' : 'FAILED',
        summary: j.summary, next: short(j.nextRunAt),
        ...(opts.json ? { description: j.description } : {}),
      })), Boolean(opts.json));
    })));

  withTargetOptions(cron.command('run <job>'))
    .description(`run one job now: ${JOB_NAMES.join(', ')}`)
    .action(action(async (job: string, opts: TargetOpts) => {
      if (!isJobName(job)) throw new CliError(`no cron job "${job}"; the jobs are: ${JOB_NAMES.join(', ')}`);
      await withAdmin(opts, async (api) => {
        const r = await api.call<JobRun>('POST', `/cron/${seg(job)}/run`);
        process.stdout.write(`${job}: ${r.ok ? 'ok' : 'FAILED'}: ${r.summary}\n`);
        if (!r.ok) process.exitCode = 1;
      });
    }));
}
