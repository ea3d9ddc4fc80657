// The volume agent with a real block device: an ext4 image on a loop device, fsck, mount,
// the fencing file inside the mounted filesystem, a busy umount that names the process,
// and a read-only remount seen by the monitor. Needs root and a working losetup; skipped
// with the reason otherwise. The scenario runs in a private mount namespace of its own
// (the file re-runs itself under `unshare -m`), so processes that other tests start in new
// namespaces meanwhile (ip netns exec) never get a copy of its mount.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { volumeAgent } from '../../src/cluster/agents/volume.ts';
import { OCF } from '../../src/cluster/agents/agent.ts';
import { FENCE_FILE } from '../../src/cluster/agents/fence.ts';
import { mountAt } from '../../src/cluster/agents/_mounts.ts';
import { makeContext, parseResource, tempDir } from '../../src/cluster/agents/_test-context.ts';
import { runCommand } from '../../src/cluster/agents/run-command.ts';
import { fileURLToPath } from 'node:url';

function sh(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() || (r.error?.message ?? '') };
}

function skipReason(): string | false {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'loop devices need root';
  for (const p of ['losetup', 'mkfs.ext4', 'mount', 'umount', 'fsck', 'unshare']) {
    if (!sh('sh', ['-c', `command -v ${p}`]).ok) return `${p} is not installed`;
  }
  const ns = sh('unshare', ['-m', '--propagation', 'private', 'true']);
  if (!ns.ok) return `cannot make a private mount namespace: ${ns.out}`;
  return false;
}

const INSIDE = process.env.TANDEM_TEST_PRIVATE_MOUNTS === '1';

test('volume on a loop device (run in a private mount namespace)', { skip: INSIDE || skipReason(), timeout: 180_000 }, async () => {
  const r = await runCommand({
    command: 'unshare', args: ['-m', '--propagation', 'private', process.execPath, '--import', 'tsx', '--test', fileURLToPath(import.meta.url)],
    // Without NODE_TEST_CONTEXT the inner run reports in TAP, not to this runner.
    cleanEnv: true, env: { ...Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k !== 'NODE_TEST_CONTEXT' && v !== undefined)) as Record<string, string>, TANDEM_TEST_PRIVATE_MOUNTS: '1' },
    cwd: fileURLToPath(new URL('../..', import.meta.url)), timeoutMs: 170_000,
  });
  assert.equal(r.code, 0, r.output.join('\n'));
  assert.match(r.stdout, /^# pass 1$/m, r.stdout);
});

test('volume on a loop device: fsck + mount, fence inside, busy umount names the holder, read-only is a failure', { skip: INSIDE ? false : 'runs inside the private mount namespace (previous test)', timeout: 170_000 }, async (t) => {
  const tmp = await tempDir('tandem-volume-');
  const image = join(tmp.dir, 'disk.img');
  const mnt = join(tmp.dir, 'mnt');
  await mkdir(mnt);
  let device = '';
  const holders: Array<ReturnType<typeof spawn>> = [];
  try {
    assert.ok(sh('truncate', ['-s', '32M', image]).ok);
    assert.ok(sh('mkfs.ext4', ['-q', '-F', image]).ok);
    const loop = sh('losetup', ['-f', '--show', image]);
    if (!loop.ok) {
      t.skip(`losetup does not work here: ${loop.out}`);
      return;
    }
    device = loop.out.split('\n')[0] ?? '';

    const { group, resource } = parseResource({ name: 'data', type: 'volume', params: { path: mnt, device, fsType: 'ext4' } });
    const agent = volumeAgent(resource);
    const ctx = makeContext({ group, resource, node: 'a', epoch: 11, stateDir: join(tmp.dir, 'state') });

    assert.equal((await agent.validate(ctx)).rc, OCF.SUCCESS);
    const started = await agent.start(ctx);
    assert.deepEqual(started, { rc: OCF.SUCCESS, reason: `${device} mounted on ${mnt}, fencing token 11` });
    const m = await mountAt(mnt);
    assert.equal(m?.fsType, 'ext4');
    assert.equal((JSON.parse(await readFile(join(mnt, FENCE_FILE), 'utf8')) as { token: number }).token, 11);
    assert.equal((await agent.monitor(ctx)).rc, OCF.SUCCESS);
    assert.equal((await agent.start(ctx)).rc, OCF.SUCCESS, 'a second start with the same token is fine');

    // A process with its working directory on the volume keeps it busy.
    const holder = spawn('sleep', ['300'], { cwd: mnt, stdio: 'ignore' });
    holders.push(holder);
    await new Promise((r) => setTimeout(r, 200));
    const busy = await agent.stop(ctx);
    assert.equal(busy.rc, OCF.ERR_GENERIC);
    assert.match(busy.reason, new RegExp(`in use by pid ${holder.pid} \\(sleep\\)`));
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));

    // A process that entered a new mount namespace while the volume was mounted keeps a
    // copy of the mount: the stop must not report success while that copy is live.
    const copy = spawn('unshare', ['-m', '--propagation', 'private', 'sleep', '300'], { stdio: 'ignore' });
    holders.push(copy);
    await new Promise((r) => setTimeout(r, 300));
    const quick = { ...resource, timeouts: { ...resource.timeouts, stop: 2_000 } };
    const copied = await volumeAgent(quick).stop({ ...ctx, resource: quick });
    assert.equal(copied.rc, OCF.ERR_GENERIC);
    assert.equal(copied.reason, `${mnt} is unmounted here, but the filesystem is still mounted in the mount namespace of pid ${copy.pid} (sleep)`);
    copy.kill('SIGKILL');
    await new Promise((r) => copy.once('exit', r));

    assert.deepEqual(await agent.stop(ctx), { rc: OCF.SUCCESS, reason: `released ${mnt} (token 11)` });
    assert.equal(await mountAt(mnt), null);
    assert.equal((await agent.monitor(ctx)).rc, OCF.NOT_RUNNING);
    assert.equal((await agent.stop(ctx)).rc, OCF.SUCCESS);

    // The token survives on the device: an older epoch is refused after mounting, and unmounted again.
    const stale = await agent.start({ ...ctx, epoch: 10 });
    assert.equal(stale.rc, OCF.ERR_GENERIC);
    assert.match(stale.reason, /^stale owner: .* token 11, newer than ours \(10\)$/, ctx.lines.join('\n'));
    assert.equal(await mountAt(mnt), null, 'a refused start leaves nothing mounted');

    // A newer owner; then the filesystem goes read-only under it.
    const newer = makeContext({ group, resource, node: 'b', epoch: 12, stateDir: join(tmp.dir, 'state-b') });
    assert.equal((await agent.start(newer)).rc, OCF.SUCCESS);
    assert.ok(sh('mount', ['-o', 'remount,ro', mnt]).ok);
    const ro = await agent.monitor(newer);
    assert.deepEqual(ro, { rc: OCF.ERR_GENERIC, reason: `${mnt} is mounted read-only (filesystem errors?)` });
    assert.equal((await agent.stop(newer)).rc, OCF.SUCCESS);
  } finally {
    for (const h of holders) h.kill('SIGKILL');
    for (let i = 0; i < 5 && (await mountAt(mnt)); i++) sh('umount', [mnt]);
    if (device) sh('losetup', ['-d', device]);
    await tmp.cleanup();
  }
});
