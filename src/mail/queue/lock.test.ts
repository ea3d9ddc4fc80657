import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { tryLockEntry, lockPath, removeStaleLock } from './lock.ts';

function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

test('an entry lock is exclusive within a process and released for the next taker', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-lock-'));
  try {
    const a = await tryLockEntry(dir, 'e1');
    assert.ok(a);
    assert.equal(JSON.parse(readFileSync(lockPath(dir, 'e1'), 'utf8')).pid, process.pid);
    assert.equal(await tryLockEntry(dir, 'e1'), null, 'held: a second taker is refused');
    assert.equal(await removeStaleLock(lockPath(dir, 'e1')), false, 'a held lock is not debris');
    await a.release();
    assert.equal(existsSync(lockPath(dir, 'e1')), false);
    const b = await tryLockEntry(dir, 'e1');
    assert.ok(b);
    await b.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('locks of dead processes, other hosts and our own previous life are stale; a live one is not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-lock-'));
  try {
    const owners: Array<[string, object, boolean]> = [
      ['dead pid', { pid: deadPid(), host: hostname(), at: 0 }, true],
      ['other host', { pid: process.ppid, host: `not-${hostname()}`, at: 0 }, true],
      ['our pid, not held (a previous process with this pid)', { pid: process.pid, host: hostname(), at: 0 }, true],
      ['live process on this host', { pid: process.ppid, host: hostname(), at: 0 }, false],
    ];
    for (const [name, owner, stale] of owners) {
      writeFileSync(lockPath(dir, 'e2'), JSON.stringify(owner));
      const lock = await tryLockEntry(dir, 'e2');
      assert.equal(lock !== null, stale, name);
      await lock?.release();
    }
    writeFileSync(lockPath(dir, 'e3'), '');
    assert.equal(await tryLockEntry(dir, 'e3'), null, 'a lock still being written (empty, young) counts as held');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
