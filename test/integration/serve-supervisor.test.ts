// `tandem mail serve A B` (and `serve all`, the demo) supervise one child per service. A
// child must never outlive its supervisor, even one killed with SIGKILL: it would keep the
// service's ports, and the next start would fail with EADDRINUSE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeTestVolume } from '../helpers/volume.ts';
import { TANDEM_BIN } from '../helpers/process.ts';

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

test('services started by a supervisor stop when it is SIGKILLed', { timeout: 90_000 }, async () => {
  const vol = await makeTestVolume();
  const sup = spawn(process.execPath, [TANDEM_BIN, 'mail', 'serve', 'smtp', 'pop3', '--data', vol.root], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  sup.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  sup.stderr.on('data', (c: Buffer) => { out += c.toString(); });
  const pids: number[] = [];
  try {
    const end = Date.now() + 60_000;
    while ((out.match(/ready .*\(pid \d+\)/g) ?? []).length < 2) {
      if (Date.now() > end || sup.exitCode !== null) throw new Error(`services not ready:\n${out}`);
      await sleep(50);
    }
    for (const m of out.matchAll(/\(pid (\d+)\)/g)) pids.push(Number(m[1]));
    assert.equal(pids.length, 2);
    assert.ok(pids.every(alive));
    sup.kill('SIGKILL');
    const deadline = Date.now() + 20_000;
    while (pids.some(alive) && Date.now() < deadline) await sleep(50);
    assert.deepEqual(pids.filter(alive), [], 'no service outlives its supervisor');
  } finally {
    sup.kill('SIGKILL');
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    vol.cleanup();
  }
});
