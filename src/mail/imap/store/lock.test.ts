import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, existsSync, utimesSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { withLockFile } from './lock.ts';
import { isTandemError } from '../../../lib/errors.ts';
import { withTempRoot } from './_test-folder.ts';

test('withLockFile() runs holders one at a time and removes the lock after', () => withTempRoot(async (root) => {
  const { mkdirSync } = await import('node:fs');
  mkdirSync(root, { recursive: true });
  const lock = join(root, 'l.lock');
  let inside = 0;
  let max = 0;
  await Promise.all(Array.from({ length: 5 }, () => withLockFile(lock, async () => {
    max = Math.max(max, ++inside);
    await new Promise((r) => setTimeout(r, 5));
    inside--;
  })));
  assert.equal(max, 1);
  assert.equal(existsSync(lock), false);
  assert.deepEqual(readdirSync(root), [], 'no temp files left behind');
}));

test('a lock left by a dead process or a torn write is taken over; a live one times out', () => withTempRoot(async (root) => {
  const { mkdirSync } = await import('node:fs');
  mkdirSync(root, { recursive: true });
  const lock = join(root, 'l.lock');
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  writeFileSync(lock, `${dead}@${hostname()}\n`);
  assert.equal(await withLockFile(lock, async () => 'ok'), 'ok');
  writeFileSync(lock, '12');
  utimesSync(lock, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  assert.equal(await withLockFile(lock, async () => 'ok'), 'ok');
  writeFileSync(lock, `${process.pid}@${hostname()}\n`);
  await assert.rejects(withLockFile(lock, async () => 'no', 50), (e) => isTandemError(e, 'temp'));
}));
