// What a cron job is: a name (the settings key), a one-line description and a run
// function that returns the sentence logged and stored as the job's summary.
import type { MailContext } from '../../core/context.ts';
import type { Settings } from '../../core/settings.ts';

export type JobName = keyof Settings['cron']['jobs'];

export interface JobContext {
  readonly ctx: MailContext;
  /** The run's start time (ms); jobs use it instead of reading the clock. */
  readonly now: number;
}

export interface CronJob {
  readonly name: JobName;
  readonly description: string;
  run(job: JobContext): Promise<string>;
}

export const DAY_MS = 24 * 3600 * 1000;
