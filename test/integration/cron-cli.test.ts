// `tandem mail cron list|run` as an operator uses them: run a job, see its result and
// next run in the list, get a clear error for an unknown job.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTestVolume } from '../helpers/volume.ts';
import { runTandem } from '../helpers/process.ts';

test('cron run records the job; cron list shows it with its schedule and next run; unknown jobs are named', async () => {
  const vol = await makeTestVolume({ cron: { jobs: { deliveryReport: { enabled: false } } } });
  vol.directory.close();
  try {
    const run = runTandem(['mail', 'cron', 'run', 'accountsSnapshot', '--data', vol.root]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^accountsSnapshot: ok: snapshot .*accounts-\d{8}T\d{6}Z\.sqlite \(2 users\); kept 1, removed 0\n$/);
    const list = runTandem(['mail', 'cron', 'list', '--json', '--data', vol.root]);
    assert.equal(list.code, 0, list.stderr);
    const rows = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(rows.map((r) => r.job), ['queueSweep', 'expireTrash', 'quotaWarnings', 'deliveryReport', 'indexMaintenance', 'accountsSnapshot']);
    const snap = rows.find((r) => r.job === 'accountsSnapshot')!;
    assert.equal(snap.result, 'ok');
    assert.equal(snap.schedule, '0 2 * * *');
    assert.match(String(snap.next), /T02:00:00Z$/);
    const report = rows.find((r) => r.job === 'deliveryReport')!;
    assert.equal(report.enabled, false);
    assert.equal(report.next, '-');
    const bad = runTandem(['mail', 'cron', 'run', 'backup', '--data', vol.root]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /no cron job "backup"; the jobs are: queueSweep, expireTrash/);
  } finally {
    vol.cleanup();
  }
});
