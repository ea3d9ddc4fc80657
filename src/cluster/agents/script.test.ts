import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { scriptAgent } from './script.ts';
import { OCF } from './agent.ts';
import { makeContext, parseResource, tempDir } from './_test-context.ts';

async function writeScript(path: string, body: string): Promise<string> {
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

async function setup(startBody: string, stopBody = 'exit 0', timeouts: Record<string, string> = {}) {
  const t = await tempDir();
  const start = await writeScript(join(t.dir, 'start.sh'), startBody);
  const stop = await writeScript(join(t.dir, 'stop.sh'), stopBody);
  const { group, resource } = parseResource({ name: 'scripts', type: 'script', params: { start, stop, env: { MAIL_DATA: '/srv/mail', CLP_EVENT: 'forged' } }, timeouts }, ['a', 'b', 'c']);
  return { ...t, group, resource, agent: scriptAgent(resource) };
}

const VARS = ['CLP_EVENT', 'CLP_DISK', 'CLP_SERVER', 'CLP_GROUPNAME', 'CLP_RESOURCENAME', 'CLP_PRIORITY', 'CLP_NODE',
  'TANDEM_EVENT', 'TANDEM_DISK', 'TANDEM_SERVER', 'TANDEM_GROUP', 'TANDEM_RESOURCE', 'TANDEM_PRIORITY', 'TANDEM_NODE',
  'TANDEM_CLUSTER', 'TANDEM_EPOCH', 'TANDEM_ACTION', 'MAIL_DATA'];

test('script: start and stop scripts get the CLUSTERPRO and TANDEM variables and params.env, output to the log', async () => {
  const dump = VARS.map((v) => `echo "${v}=$${v}"`).join('\n');
  const s = await setup(`${dump}\necho "args=$*"`, 'echo "stopping on $CLP_NODE as $CLP_SERVER"');
  try {
    const ctx = makeContext({ group: s.group, resource: s.resource, stateDir: s.dir, node: 'b', event: 'FAILOVER', disk: 'FAILURE', epoch: 9 });
    const out = await s.agent.start(ctx);
    assert.deepEqual(out, { rc: OCF.SUCCESS, reason: `start script ${join(s.dir, 'start.sh')} exited 0 (CLP_EVENT=FAILOVER)` });
    assert.deepEqual(ctx.lines, [
      'CLP_EVENT=FAILOVER', 'CLP_DISK=FAILURE', 'CLP_SERVER=OTHER', 'CLP_GROUPNAME=g', 'CLP_RESOURCENAME=scripts', 'CLP_PRIORITY=2', 'CLP_NODE=b',
      'TANDEM_EVENT=FAILOVER', 'TANDEM_DISK=FAILURE', 'TANDEM_SERVER=OTHER', 'TANDEM_GROUP=g', 'TANDEM_RESOURCE=scripts', 'TANDEM_PRIORITY=2', 'TANDEM_NODE=b',
      'TANDEM_CLUSTER=test', 'TANDEM_EPOCH=9', 'TANDEM_ACTION=start', 'MAIL_DATA=/srv/mail', 'args=start',
    ]);
    assert.equal((await s.agent.monitor(ctx)).rc, OCF.SUCCESS);
    ctx.lines.length = 0;
    assert.equal((await s.agent.stop(ctx)).rc, OCF.SUCCESS);
    assert.deepEqual(ctx.lines, ['stopping on b as OTHER']);
    const m = await s.agent.monitor(ctx);
    assert.equal(m.rc, OCF.NOT_RUNNING);
    assert.match(m.reason, /recorded state/);
  } finally {
    await s.cleanup();
  }
});

test('script: the home node sees CLP_SERVER=HOME and CLP_PRIORITY=1', async () => {
  const s = await setup('echo "$CLP_SERVER $CLP_PRIORITY"');
  try {
    const ctx = makeContext({ group: s.group, resource: s.resource, stateDir: s.dir, node: 'a' });
    await s.agent.start(ctx);
    assert.deepEqual(ctx.lines, ['HOME 1']);
  } finally {
    await s.cleanup();
  }
});

test('script: a failing start script fails the start with its exit code and last line', async () => {
  const s = await setup('echo "disk not mounted" >&2; exit 1');
  try {
    const ctx = makeContext({ group: s.group, resource: s.resource, stateDir: s.dir });
    const out = await s.agent.start(ctx);
    assert.equal(out.rc, OCF.ERR_GENERIC);
    assert.equal(out.reason, `start script ${join(s.dir, 'start.sh')} exited 1: stderr: disk not mounted`);
    assert.equal((await s.agent.monitor(ctx)).rc, OCF.NOT_RUNNING);
  } finally {
    await s.cleanup();
  }
});

test('script: a start script that outlives its timeout is killed with its children', async () => {
  const s = await setup('sleep 300 & echo $! > "$TANDEM_STATE_DIR/child.pid"; wait', 'exit 0', { start: '1s' });
  try {
    const ctx = makeContext({ group: s.group, resource: s.resource, stateDir: s.dir });
    const out = await s.agent.start(ctx);
    assert.equal(out.rc, OCF.ERR_GENERIC);
    assert.match(out.reason, /timed out after 1000ms and was killed/);
    const child = Number((await readFile(join(s.dir, 'child.pid'), 'utf8')).trim());
    const deadline = Date.now() + 20_000;
    for (;;) {
      try { process.kill(child, 0); } catch { break; }
      if (Date.now() > deadline) assert.fail(`background child ${child} survived`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await s.cleanup();
  }
});

test('script: a script marked "# tandem: status" is asked for its status', async () => {
  const body = [
    '# tandem: status',
    'state="$TANDEM_STATE_DIR/app.running"',
    'case "$1" in',
    '  start) touch "$state" ;;',
    '  status) if [ -e "$state" ]; then echo up; exit 0; else echo down; exit 7; fi ;;',
    'esac',
  ].join('\n');
  const s = await setup(body, 'rm -f "$TANDEM_STATE_DIR/app.running"');
  try {
    const ctx = makeContext({ group: s.group, resource: s.resource, stateDir: s.dir });
    assert.deepEqual(await s.agent.monitor(ctx), { rc: OCF.NOT_RUNNING, reason: `${join(s.dir, 'start.sh')} status exited 7: down` });
    await s.agent.start(ctx);
    assert.deepEqual(await s.agent.monitor(ctx), { rc: OCF.SUCCESS, reason: `${join(s.dir, 'start.sh')} status exited 0: up` });
    await s.agent.stop(ctx);
    assert.equal((await s.agent.monitor(ctx)).rc, OCF.NOT_RUNNING);
  } finally {
    await s.cleanup();
  }
});

test('script: validate names a missing or non-executable script', async () => {
  const s = await setup('exit 0');
  try {
    await chmod(join(s.dir, 'stop.sh'), 0o644);
    const ctx = makeContext({ group: s.group, resource: s.resource, stateDir: s.dir });
    assert.deepEqual(await s.agent.validate(ctx), { rc: OCF.ERR_INSTALLED, reason: `stop script ${join(s.dir, 'stop.sh')} is not executable (chmod +x)` });
  } finally {
    await s.cleanup();
  }
});
