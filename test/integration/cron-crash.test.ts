// The re-run rule with real processes: the cron service catches up a missed daily run
// at start; SIGKILL while that job runs leaves it "started, not finished" on the
// volume; the next cron process runs it again to the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTestVolume } from '../helpers/volume.ts';
import { startServiceProcess } from '../helpers/process.ts';
import { readJobState, writeJobState } from '../../src/mail/cron/state.ts';
import type { JobState } from '../../src/mail/cron/policy/due.ts';

async function eventually<T>(what: string, fn: () => Promise<T | null>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v !== null) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('a job cut short by SIGKILL runs again when the cron service restarts', async () => {
  const vol = await makeTestVolume({ listen: { address: '127.0.0.1', smtp: { port: null }, submission: { port: null }, submissions: { port: null }, pop3: { port: null }, pop3s: { port: null } } });
  vol.directory.close();
  const hold = join(vol.root, '..', 'hold');
  const snapshots = () => { try { return readdirSync(join(vol.layout.dbDir, 'snapshots')).filter((n) => n.endsWith('.sqlite')); } catch { return []; } };
  let svc: Awaited<ReturnType<typeof startServiceProcess>> | null = null;
  try {
    // The snapshot last ran two days ago: the service must catch up at start.
    const twoDaysAgo = Date.now() - 2 * 24 * 3600_000;
    const last: JobState = { job: 'accountsSnapshot', startedAt: twoDaysAgo, finishedAt: twoDaysAgo + 1000, ok: true, summary: 'earlier run', knownSince: twoDaysAgo - 1000 };
    await writeJobState(vol.layout, last);
    writeFileSync(hold, 'hold the job');
    svc = await startServiceProcess('cron', vol.root, { env: { TANDEM_CRON_HOLD_FILE: hold } });
    const started = await eventually('the catch-up run to start', async () => {
      const s = await readJobState(vol.layout, 'accountsSnapshot');
      return s && s.startedAt !== null && s.startedAt > last.startedAt! ? s : null;
    });
    assert.equal(started.finishedAt, last.finishedAt, 'running: not finished yet');
    assert.match(svc.stderr(), /accountsSnapshot missed its run at .* catching up/);
    await svc.kill('SIGKILL');
    svc = null;
    const cut = await readJobState(vol.layout, 'accountsSnapshot');
    assert.ok(cut && cut.startedAt! > (cut.finishedAt ?? 0), 'the state shows a run that never finished');
    assert.deepEqual(snapshots(), [], 'no snapshot from the killed run');

    rmSync(hold);
    svc = await startServiceProcess('cron', vol.root);
    const done = await eventually('the re-run to finish', async () => {
      const s = await readJobState(vol.layout, 'accountsSnapshot');
      return s && s.finishedAt !== null && s.startedAt !== null && s.finishedAt >= s.startedAt && s.startedAt > cut!.startedAt! ? s : null;
    });
    assert.equal(done.ok, true, done.summary);
    assert.match(svc.stderr(), /accountsSnapshot started at .* and never finished \(crash or failover\); running it again/);
    assert.equal(snapshots().length, 1);
  } finally {
    if (svc) await svc.kill('SIGKILL');
    rmSync(hold, { force: true });
    vol.cleanup();
  }
});
