import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand, succeeded, describeRun, MAX_LINE } from './run-command.ts';

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

async function eventually(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('runCommand reports the exit code and passes env, cwd and output lines', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-run-'));
  try {
    const lines: string[] = [];
    const r = await runCommand({
      command: 'sh', args: ['-c', 'echo "cwd=$(pwd)"; echo "x=$TANDEM_X"; echo oops >&2; exit 3'],
      env: { TANDEM_X: 'forty two' }, cwd: dir, log: (l) => lines.push(l),
    });
    assert.equal(r.code, 3);
    assert.equal(succeeded(r), false);
    assert.deepEqual(lines, [`cwd=${dir}`, 'x=forty two', 'stderr: oops']);
    assert.equal(describeRun('probe', r), 'probe exited 3: stderr: oops');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('runCommand reports a program that cannot be found instead of throwing', async () => {
  const r = await runCommand({ command: '/nonexistent/tandem-program' });
  assert.equal(r.code, null);
  assert.match(r.spawnError ?? '', /ENOENT/);
  assert.match(describeRun('x', r), /could not run \(ENOENT/);
});

test('a timeout kills the whole process group, background children included', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-run-'));
  try {
    const pidFile = join(dir, 'bg.pid');
    const r = await runCommand({
      command: 'sh', args: ['-c', `sleep 300 & echo $! > ${pidFile}; wait`],
      timeoutMs: 500, graceMs: 2000,
    });
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, 'SIGTERM');
    const bg = Number((await readFile(pidFile, 'utf8')).trim());
    await eventually(() => !alive(bg), `background sleep ${bg} to die`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an abort signal kills a program that ignores SIGTERM with SIGKILL after the grace period', async () => {
  const ac = new AbortController();
  const lines: string[] = [];
  const done = runCommand({
    command: 'sh', args: ['-c', "trap '' TERM; echo armed; while :; do sleep 0.1; done"],
    signal: ac.signal, graceMs: 300, log: (l) => {
      lines.push(l);
      if (l === 'armed') ac.abort();
    },
  });
  const r = await done;
  assert.equal(r.aborted, true);
  assert.equal(r.signal, 'SIGKILL');
  assert.match(describeRun('loop', r), /cancelled and killed/);
});

test('an already aborted signal runs nothing', async () => {
  const ac = new AbortController();
  ac.abort();
  const r = await runCommand({ command: 'sh', args: ['-c', 'exit 0'], signal: ac.signal });
  assert.equal(r.aborted, true);
  assert.equal(r.code, null);
});

test('an endless line is cut, memory stays bounded, and the next line still arrives', async () => {
  const lines: string[] = [];
  const r = await runCommand({
    command: 'sh', args: ['-c', 'head -c 100000 /dev/zero | tr "\\0" a; echo; echo after'],
    log: (l) => lines.push(l),
  });
  assert.equal(r.code, 0);
  assert.equal(lines.length, 2);
  assert.ok((lines[0] ?? '').length <= MAX_LINE + 20);
  assert.match(lines[0] ?? '', /\[line cut\]$/);
  assert.equal(lines[1], 'after');
});

test('a background child holding stdout open does not keep runCommand waiting', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-run-'));
  try {
    const pidFile = join(dir, 'bg.pid');
    const r = await runCommand({ command: 'sh', args: ['-c', `sleep 300 & echo $! > ${pidFile}; echo started`] });
    assert.equal(r.code, 0);
    assert.deepEqual(r.output, ['started']);
    const bg = Number((await readFile(pidFile, 'utf8')).trim());
    process.kill(bg, 'SIGKILL');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('multi-byte characters split across output chunks arrive whole', async () => {
  const lines: string[] = [];
  // printf writes the two bytes of "é" in separate writes, with a pause between.
  const r = await runCommand({ command: 'sh', args: ['-c', "printf 'caf\\303'; sleep 0.1; printf '\\251\\n'"], log: (l) => lines.push(l) });
  assert.equal(r.code, 0);
  assert.deepEqual(lines, ['café']);
  assert.equal(r.stdout, 'café\n');
});
