import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile, stat, rename, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { syncAgent, writeSyncedFile } from './sync.ts';
import { OCF, type PeerFiles, type SyncedFile } from './agent.ts';
import { makeContext, parseResource, tempDir } from './_test-context.ts';

/** A fake node channel: records every push; node c can be made unreachable. */
function fakePeers() {
  const pushes: Array<{ group: string; resource: string; files: SyncedFile[] }> = [];
  const state = { cDown: false };
  const peers: PeerFiles = {
    async push(group, resource, files) {
      pushes.push({ group, resource, files: [...files] });
      return [
        { node: 'b', ok: true, reason: 'written' },
        state.cDown ? { node: 'c', ok: false, reason: 'connection refused' } : { node: 'c', ok: true, reason: 'written' },
      ];
    },
  };
  return { peers, pushes, state };
}

async function eventually(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function setup() {
  const t = await tempDir();
  const one = join(t.dir, 'one.conf');
  const two = join(t.dir, 'two.conf');
  await writeFile(one, 'alpha\n');
  await writeFile(two, 'beta\n');
  const { group, resource } = parseResource({ name: 'registry', type: 'sync', params: { paths: [one, two] } }, ['a', 'b', 'c']);
  const fake = fakePeers();
  const ctx = makeContext({ group, resource, stateDir: join(t.dir, 'state'), peers: fake.peers });
  return { ...t, one, two, ctx, agent: syncAgent(resource), ...fake };
}

test('sync: start pushes every file; a change is pushed again; stop ends the watching', async () => {
  const s = await setup();
  try {
    assert.equal((await s.agent.monitor(s.ctx)).rc, OCF.NOT_RUNNING);
    const started = await s.agent.start(s.ctx);
    assert.deepEqual(started, { rc: OCF.SUCCESS, reason: 'watching 2 files; pushed 2 files to b, c' });
    assert.equal(s.pushes.length, 1);
    assert.equal(s.pushes[0]?.group, 'g');
    assert.equal(s.pushes[0]?.resource, 'registry');
    assert.deepEqual(s.pushes[0]?.files.map((f) => [f.path, f.data.toString()]), [[s.one, 'alpha\n'], [s.two, 'beta\n']]);
    assert.equal((await s.agent.monitor(s.ctx)).rc, OCF.SUCCESS);

    // An editor-style atomic replace of one file: only that file goes out.
    await writeFile(`${s.two}.new`, 'beta 2\n');
    await rename(`${s.two}.new`, s.two);
    await eventually(() => s.pushes.length === 2, 'the changed file to be pushed');
    assert.deepEqual(s.pushes[1]?.files.map((f) => [f.path, f.data.toString()]), [[s.two, 'beta 2\n']]);

    // A mode change is a change too.
    await chmod(s.one, 0o600);
    await eventually(() => s.pushes.length === 3, 'the mode change to be pushed');
    assert.equal(s.pushes[2]?.files[0]?.mode, 0o600);

    assert.deepEqual(await s.agent.stop(s.ctx), { rc: OCF.SUCCESS, reason: 'stopped watching' });
    await writeFile(s.one, 'after stop\n');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(s.pushes.length, 3, 'nothing is pushed after stop');
    assert.equal((await s.agent.monitor(s.ctx)).rc, OCF.NOT_RUNNING);
    assert.equal((await s.agent.stop(s.ctx)).rc, OCF.SUCCESS);
  } finally {
    await s.agent.stop(s.ctx);
    await s.cleanup();
  }
});

test('sync: a push that failed for one node is retried until it succeeds', async () => {
  const s = await setup();
  try {
    s.state.cDown = true;
    const started = await s.agent.start(s.ctx);
    assert.equal(started.reason, 'watching 2 files; pushed 2 files to b; failed for c (retried every 2000ms)');
    assert.ok(s.ctx.lines.some((l) => l === 'sync: c: connection refused'), s.ctx.lines.join('\n'));
    const before = s.pushes.length;
    s.state.cDown = false;
    await eventually(() => s.pushes.length > before, 'a retry at the next poll');
    const after = s.pushes.length;
    // Once every node has the files, the poll sends nothing more.
    await new Promise((r) => setTimeout(r, 2_500));
    assert.equal(s.pushes.length, after);
  } finally {
    await s.agent.stop(s.ctx);
    await s.cleanup();
  }
});

test('sync: a missing file fails the start and, once running, the monitor', async () => {
  const s = await setup();
  try {
    await s.agent.start(s.ctx);
    await rename(s.one, `${s.one}.moved`);
    const m = await s.agent.monitor(s.ctx);
    assert.deepEqual(m, { rc: OCF.ERR_GENERIC, reason: `missing: ${s.one}` });
    await s.agent.stop(s.ctx);
    const out = await s.agent.start(s.ctx);
    assert.deepEqual(out, { rc: OCF.ERR_GENERIC, reason: `missing on a: ${s.one}` });
  } finally {
    await s.agent.stop(s.ctx);
    await s.cleanup();
  }
});

test('writeSyncedFile writes only listed paths, with the pushed mode and mtime', async () => {
  const t = await tempDir();
  try {
    const path = join(t.dir, 'settings.ini');
    const mtimeMs = Date.parse('2026-01-02T03:04:05Z');
    const file: SyncedFile = { path, data: Buffer.from('key=value\n'), mode: 0o640, mtimeMs };
    assert.equal(await writeSyncedFile(file, ['/etc/other']), `${path} is not a synced path on this node`);
    assert.equal(await writeSyncedFile(file, [path]), null);
    assert.equal(await readFile(path, 'utf8'), 'key=value\n');
    const s = await stat(path);
    assert.equal(s.mode & 0o777, 0o640);
    assert.equal(Math.round(s.mtimeMs), mtimeMs);
  } finally {
    await t.cleanup();
  }
});
