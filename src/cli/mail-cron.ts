// `tandem mail cron list|run`: the cron jobs of a volume, their schedules and last runs;
// run one now (in this process, with the same durable bookkeeping as the service).
import type { Command } from 'commander';
import { openMailContext } from '../mail/core/context.ts';
import { openVolume } from '../mail/core/volume.ts';
import { JOBS, JOB_NAMES, isJobName } from '../mail/cron/jobs/index.ts';
import { runJob } from '../mail/cron/runner.ts';
import { nextRunAfter } from '../mail/cron/service.ts';
import { readAllJobStates } from '../mail/cron/state.ts';
import { action, printTable, CliError } from './io.ts';

const iso = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z') : '-');

export function registerCronCommands(mail: Command): void {
  const cron = mail.command('cron').description('scheduled jobs: list them, run one now');

  cron.command('list')
    .description('every job: schedule (UTC), enabled, last start and end, result, next run')
    .requiredOption('--data <dir>', 'data volume directory (default: $TANDEM_DATA)', process.env.TANDEM_DATA)
    .option('--json', 'print JSON')
    .action(action(async (opts: { data: string; json?: boolean }) => {
      const { layout, settings } = await openVolume(opts.data);
      const states = await readAllJobStates(layout, JOB_NAMES);
      const now = Date.now();
      const rows = JOB_NAMES.map((job) => {
        const cfg = settings.cron.jobs[job];
        const st = states.get(job);
        const interrupted = st?.startedAt != null && (st.finishedAt == null || st.finishedAt < st.startedAt);
        return {
          job, schedule: cfg.schedule, enabled: cfg.enabled,
          lastStart: iso(st?.startedAt), lastEnd: iso(st?.finishedAt),
          result: interrupted ? 'interrupted (runs again when the service starts)' : st?.ok == null ? '-' : st.ok ? 'ok' : 'FAILED',
          summary: st?.summary ?? '', next: cfg.enabled ? iso(nextRunAfter(cfg.schedule, now)) : '-',
          ...(opts.json ? { description: JOBS[job].description } : {}),
        };
      });
      printTable(rows, Boolean(opts.json));
    }));

  cron.command('run <job>')
    .description(`run one job now: ${JOB_NAMES.join(', ')}`)
    .requiredOption('--data <dir>', 'data volume directory (default: $TANDEM_DATA)', process.env.TANDEM_DATA)
    .action(action(async (job: string, opts: { data: string }) => {
      if (!isJobName(job)) throw new CliError(`no cron job "${job}"; the jobs are: ${JOB_NAMES.join(', ')}`);
      const ctx = await openMailContext(opts.data, 'cron-cli');
      try {
        const r = await runJob(ctx, job);
        process.stdout.write(`${job}: ${r.ok ? 'ok' : 'FAILED'}: ${r.summary}\n`);
        if (!r.ok) process.exitCode = 1;
      } finally {
        ctx.directory.close();
      }
    }));
}
