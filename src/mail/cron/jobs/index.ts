// The job table: every cron job by its settings name.
import type { CronJob, JobName } from './job.ts';
import { queueSweep } from './queue-sweep.ts';
import { expireTrash } from './expire-trash.ts';
import { quotaWarnings } from './quota-warnings.ts';
import { deliveryReport } from './delivery-report.ts';
import { indexMaintenance } from './index-maintenance.ts';
import { accountsSnapshot } from './accounts-snapshot.ts';

export const JOBS: Readonly<Record<JobName, CronJob>> = {
  queueSweep, expireTrash, quotaWarnings, deliveryReport, indexMaintenance, accountsSnapshot,
};

export const JOB_NAMES = Object.keys(JOBS) as JobName[];

export function isJobName(name: string): name is JobName {
  return Object.prototype.hasOwnProperty.call(JOBS, name);
}
