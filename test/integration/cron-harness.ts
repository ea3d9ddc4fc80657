// Harness for the cron tests: a test volume as a MailContext, message helpers, and a
// way to run one job at a chosen time.
import { pino } from 'pino';
import { makeTestVolume, type TestVolume } from '../helpers/volume.ts';
import type { SettingsInput } from '../../src/mail/core/settings.ts';
import type { MailContext } from '../../src/mail/core/context.ts';
import { loadSettings, loadTls } from '../../src/mail/core/volume.ts';
import { runJob, type JobRun } from '../../src/mail/cron/runner.ts';
import type { JobName } from '../../src/mail/cron/jobs/job.ts';

export const DAY = 24 * 3600 * 1000;

export interface CronFixture {
  readonly vol: TestVolume;
  readonly ctx: MailContext;
  run(job: JobName, at?: number): Promise<JobRun>;
  cleanup(): void;
}

export async function cronFixture(settings: Partial<SettingsInput> = {}): Promise<CronFixture> {
  const vol = await makeTestVolume(settings);
  const loaded = await loadSettings(vol.layout);
  const ctx: MailContext = {
    layout: vol.layout, settings: loaded, directory: vol.directory,
    tls: await loadTls(vol.layout, loaded), log: pino({ level: process.env.TANDEM_TEST_LOG ?? 'silent' }),
  };
  return {
    vol, ctx,
    run: (job, at) => runJob(ctx, job, at === undefined ? Date.now : () => at),
    cleanup: () => vol.cleanup(),
  };
}

export function message(subject: string, bodyBytes = 100): Buffer {
  return Buffer.from(`From: bob@demo.test\r\nTo: alice@demo.test\r\nSubject: ${subject}\r\n\r\n${'x'.repeat(bodyBytes)}\r\n`);
}
