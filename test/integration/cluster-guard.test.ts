// The self-fencing guard as a real process (`tandem node guard`), fed through its stdin like
// the daemon does: when the pipe closes it kills the service process groups and removes the
// VIP; when the deadline passes without a newer one it does the same; after "bye" it leaves
// everything alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedMonotonicMs, type GuardMessage } from '../../src/cluster/node/guard.ts';
import { eventually, hasAddressOnLo, isAlive, isRoot, TANDEM_BIN } from '../helpers/cluster.ts';

function startGuard(dir: string): ChildProcess {
  return spawn(process.execPath, [TANDEM_BIN, 'node', 'guard', '--state', dir], { stdio: ['pipe', 'ignore', 'pipe'], detached: true });
}

function sleeper(): number {
  const child = spawn('sleep', ['1000'], { detached: true, stdio: 'ignore' });
  child.unref();
  return child.pid!;
}

const send = (g: ChildProcess, m: GuardMessage): void => { g.stdin!.write(`${JSON.stringify(m)}\n`); };
const exited = (g: ChildProcess): Promise<number | null> => new Promise((r) => { if (g.exitCode !== null) r(g.exitCode); else g.once('exit', (c) => r(c)); });
const log = (dir: string): Array<{ kind: string; message: string; killed?: number[]; vips?: string[] }> =>
  readFileSync(join(dir, 'guard.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

test('guard: the pipe closing (daemon killed) fences: process groups killed, pid-file processes killed, VIP removed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-guard-'));
  const vip = `127.${20 + (process.pid % 200)}.251.${1 + Math.floor(Math.random() * 250)}`;
  const withVip = isRoot();
  const pids: number[] = [];
  try {
    if (withVip) spawnSync('ip', ['addr', 'add', `${vip}/32`, 'dev', 'lo']);
    const group = sleeper();
    const fromFile = sleeper();
    pids.push(group, fromFile);
    mkdirSync(join(dir, 'res'));
    writeFileSync(join(dir, 'res', 'svc.pid'), String(fromFile));
    const g = startGuard(dir);
    send(g, { t: 'state', deadline: sharedMonotonicMs() + 60_000, pgids: [group], pidDirs: [join(dir, 'res')], vips: withVip ? [{ address: vip, prefix: 32 }] : [], volumes: [] });
    await eventually('guard started', () => { try { return log(dir).some((e) => e.kind === 'guard.started'); } catch { return false; } }, 20_000);
    await new Promise((r) => setTimeout(r, 200));
    g.stdin!.end();
    assert.equal(await exited(g), 0);
    const fenced = log(dir).find((e) => e.kind === 'guard.fenced')!;
    assert.match(fenced.message, /pipe from the daemon closed/);
    await eventually('processes gone', () => !isAlive(group) && !isAlive(fromFile), 5_000);
    if (withVip) {
      assert.ok(!hasAddressOnLo(vip), 'VIP removed');
      assert.match(String(fenced.vips), /removed from lo/);
    }
  } finally {
    for (const p of pids) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
    if (withVip) spawnSync('ip', ['addr', 'del', `${vip}/32`, 'dev', 'lo'], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
});

test('guard: a deadline that passes without renewal fences; bye leaves everything running', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-guard-'));
  const pids: number[] = [];
  try {
    const victim = sleeper();
    pids.push(victim);
    const g = startGuard(dir);
    await eventually('guard started', () => { try { return log(dir).some((e) => e.kind === 'guard.started'); } catch { return false; } }, 20_000);
    // Renewed a few times, then silence (a hung daemon keeps the pipe open).
    for (let i = 0; i < 3; i++) {
      send(g, { t: 'state', deadline: sharedMonotonicMs() + 400, pgids: [victim], pidDirs: [], vips: [], volumes: [] });
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(isAlive(victim), 'renewals keep it running');
    assert.equal(await exited(g), 0);
    assert.match(log(dir).find((e) => e.kind === 'guard.fenced')!.message, /deadline passed/);
    assert.ok(!isAlive(victim));

    const dir2 = mkdtempSync(join(tmpdir(), 'tandem-guard-'));
    const keeper = sleeper();
    pids.push(keeper);
    const g2 = startGuard(dir2);
    send(g2, { t: 'state', deadline: sharedMonotonicMs() + 60_000, pgids: [keeper], pidDirs: [], vips: [], volumes: [] });
    send(g2, { t: 'bye' });
    g2.stdin!.end();
    assert.equal(await exited(g2), 0);
    assert.ok(isAlive(keeper), 'a clean stop leaves the resources to the daemon');
    assert.ok(!log(dir2).some((e) => e.kind === 'guard.fenced'));
    rmSync(dir2, { recursive: true, force: true });
  } finally {
    for (const p of pids) { try { process.kill(-p, 'SIGKILL'); } catch { /* gone */ } }
    rmSync(dir, { recursive: true, force: true });
  }
});
