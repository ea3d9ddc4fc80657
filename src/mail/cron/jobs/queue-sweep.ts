// queueSweep: removes debris the outbound queue can be left with after a crash (data
// files never committed, temp files, stale locks). The queue runner retries deliveries
// by itself; this only cleans what no runner will ever look at.
import { sweepQueue } from '../../queue/sweep.ts';
import type { CronJob } from './job.ts';

export const queueSweep: CronJob = {
  name: 'queueSweep',
  description: 'remove debris left in the outbound queue by crashes (uncommitted data, temp files, stale locks)',
  async run({ ctx, now }) {
    // A lone data file may still be receiving a slow DATA: wait twice the data timeout.
    const orphanAgeMs = Math.max(2 * ctx.settings.limits.dataTimeoutSeconds * 1000, 3600_000);
    const { removed } = await sweepQueue(ctx.layout.queueDir, now, orphanAgeMs);
    return removed.length === 0 ? 'queue clean: nothing to remove' : `removed ${removed.length} debris files: ${removed.slice(0, 10).join(', ')}${removed.length > 10 ? ', ...' : ''}`;
  },
};
