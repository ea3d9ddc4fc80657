import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serviceAgent } from './service.ts';
import { OCF } from './agent.ts';
import { makeContext, parseResource, tempDir } from './_test-context.ts';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function setup(params: Record<string, unknown>, timeouts: Record<string, string> = {}) {
  const t = await tempDir();
  const { group, resource } = parseResource({ name: 'svc', type: 'service', params, timeouts });
  const ctx = makeContext({ group, resource, stateDir: t.dir });
  return { ...t, ctx, agent: serviceAgent(resource) };
}

const pidOf = async (dir: string) => Number((await readFile(join(dir, 'g.svc.pid'), 'utf8')).trim());

test('service: ready when its readyPort accepts; monitor checks process and port; stop ends it', async () => {
  const port = await freePort();
  const code = `setTimeout(() => require('net').createServer(s => s.end()).listen(${port}, '127.0.0.1', () => console.log('listening')), 300)`;
  const s = await setup({ command: [process.execPath, '-e', code], readyPort: port });
  try {
    assert.equal((await s.agent.monitor(s.ctx)).rc, OCF.NOT_RUNNING);
    const started = await s.agent.start(s.ctx);
    assert.equal(started.rc, OCF.SUCCESS, started.reason);
    assert.match(started.reason, new RegExp(`ready: connected to 127.0.0.1:${port}`));
    const pid = await pidOf(s.dir);
    assert.ok(alive(pid));
    assert.ok(s.ctx.lines.includes('listening'), 'output lines reach ctx.log');
    assert.equal((await s.agent.monitor(s.ctx)).rc, OCF.SUCCESS);
    assert.equal((await s.agent.start(s.ctx)).reason, `already running (pid ${pid})`);

    const stopped = await s.agent.stop(s.ctx);
    assert.equal(stopped.rc, OCF.SUCCESS);
    assert.match(stopped.reason, /stopped by SIGTERM/);
    await eventually(() => !alive(pid), `pid ${pid} to be reaped`);
    assert.equal((await s.agent.monitor(s.ctx)).rc, OCF.NOT_RUNNING);
    assert.equal((await s.agent.stop(s.ctx)).rc, OCF.SUCCESS, 'stop is idempotent');
  } finally {
    await s.agent.stop(s.ctx);
    await s.cleanup();
  }
});

test('service: without readyPort it is ready at the TANDEM-READY line and gets the cluster env', async () => {
  const s = await setup({ command: ['sh', '-c', 'echo "group=$TANDEM_GROUP clp=$CLP_GROUPNAME x=$X"; sleep 0.2; echo "TANDEM-READY {}"; exec sleep 300'], env: { X: 'y' } });
  try {
    const started = await s.agent.start(s.ctx);
    assert.equal(started.rc, OCF.SUCCESS, started.reason);
    assert.match(started.reason, /ready: TANDEM-READY \{\}/);
    assert.ok(s.ctx.lines.includes('group=g clp=g x=y'), s.ctx.lines.join('\n'));
    // The shell exec'd sleep: the monitor follows the program it became.
    assert.equal((await s.agent.monitor(s.ctx)).rc, OCF.SUCCESS);
    const pid = await pidOf(s.dir);
    assert.match((await s.agent.stop(s.ctx)).reason, /stopped by SIGTERM/);
    await eventually(() => !alive(pid), `pid ${pid} to be reaped`);
  } finally {
    await s.agent.stop(s.ctx);
    await s.cleanup();
  }
});

test('service: a pid that now belongs to another process is a failure and is never killed', async () => {
  const s = await setup({ command: ['sh', '-c', 'echo TANDEM-READY; exec sleep 300'] });
  let pid = 0;
  try {
    assert.equal((await s.agent.start(s.ctx)).rc, OCF.SUCCESS);
    pid = await pidOf(s.dir);
    // Pretend the recorded process started at another time: the pid was reused.
    const file = join(s.dir, 'g.svc.service.json');
    const state = JSON.parse(await readFile(file, 'utf8')) as { startTicks: number };
    await writeFile(file, JSON.stringify({ ...state, startTicks: state.startTicks - 1 }));
    assert.deepEqual(await s.agent.monitor(s.ctx), { rc: OCF.ERR_GENERIC, reason: `sh (pid ${pid}) pid ${pid} is now another process (sleep)` });
    assert.equal((await s.agent.stop(s.ctx)).rc, OCF.SUCCESS);
    assert.equal(alive(pid), true, 'the stranger is left alone');
  } finally {
    if (pid) process.kill(-pid, 'SIGKILL');
    await s.cleanup();
  }
});

test('service: a process that exits before it is ready fails the start with its last line', async () => {
  const s = await setup({ command: ['sh', '-c', 'echo "cannot bind port 25" >&2; exit 3'] });
  try {
    const out = await s.agent.start(s.ctx);
    assert.equal(out.rc, OCF.ERR_GENERIC);
    assert.equal(out.reason, 'sh exited 3 before it was ready: cannot bind port 25');
    assert.equal((await s.agent.monitor(s.ctx)).rc, OCF.NOT_RUNNING);
  } finally {
    await s.cleanup();
  }
});

test('service: not ready within the start timeout is a failure and the process is stopped', async () => {
  const port = await freePort();
  const s = await setup({ command: ['sleep', '300'], readyPort: port }, { start: '1s' });
  try {
    const out = await s.agent.start(s.ctx);
    assert.equal(out.rc, OCF.ERR_GENERIC);
    assert.match(out.reason, new RegExp(`not ready within 1000ms \\(port ${port} did not answer on 127.0.0.1\\); stopped it \\(term\\)`));
    assert.equal((await s.agent.monitor(s.ctx)).rc, OCF.NOT_RUNNING);
  } finally {
    await s.cleanup();
  }
});

test('service: a crash is a monitor failure with the signal; stop of a TERM-ignoring process escalates to KILL', async () => {
  const s = await setup({ command: ['sh', '-c', "trap '' TERM; echo TANDEM-READY; while :; do sleep 0.2; done"] }, { stop: '2s' });
  try {
    assert.equal((await s.agent.start(s.ctx)).rc, OCF.SUCCESS);
    const stopped = await s.agent.stop(s.ctx);
    assert.equal(stopped.rc, OCF.SUCCESS);
    assert.match(stopped.reason, /killed by SIGKILL after the grace period/);

    assert.equal((await s.agent.start(s.ctx)).rc, OCF.SUCCESS);
    const pid = await pidOf(s.dir);
    process.kill(pid, 'SIGKILL');
    await eventually(async () => (await s.agent.monitor(s.ctx)).rc === OCF.ERR_GENERIC, 'monitor to see the crash');
    assert.match((await s.agent.monitor(s.ctx)).reason, /was killed by SIGKILL/);
    assert.equal((await s.agent.stop(s.ctx)).rc, OCF.SUCCESS);
    assert.equal((await s.agent.monitor(s.ctx)).rc, OCF.NOT_RUNNING);
  } finally {
    await s.agent.stop(s.ctx);
    await s.cleanup();
  }
});

test('service: a program that does not exist is reported by validate and start', async () => {
  const s = await setup({ command: ['/nonexistent/tandem-service'] });
  try {
    const out = await s.agent.start(s.ctx);
    assert.equal(out.rc, OCF.ERR_INSTALLED);
    assert.equal(out.reason, 'program /nonexistent/tandem-service does not exist');
  } finally {
    await s.cleanup();
  }
});

test('service: the supervised process dies with the daemon that started it (pdeathsig)', async () => {
  const t = await tempDir();
  const agentUrl = new URL('./service.ts', import.meta.url).href;
  const ctxUrl = new URL('./_test-context.ts', import.meta.url).href;
  // A stand-in daemon: starts a service, prints its pid, then waits to be killed.
  const daemon = `
    const { serviceAgent } = await import(${JSON.stringify(agentUrl)});
    const { parseResource, makeContext } = await import(${JSON.stringify(ctxUrl)});
    const { group, resource } = parseResource({ name: 'svc', type: 'service', params: { command: ['sh', '-c', 'echo TANDEM-READY; exec sleep 300'] } });
    const out = await serviceAgent(resource).start(makeContext({ group, resource, stateDir: ${JSON.stringify(t.dir)} }));
    console.log(JSON.stringify(out));
    setInterval(() => {}, 1000);
  `;
  const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', daemon], {
    stdio: ['ignore', 'pipe', 'inherit'], cwd: fileURLToPath(new URL('../../..', import.meta.url)),
  });
  try {
    let out = '';
    proc.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    await eventually(() => out.includes('\n'), 'the stand-in daemon to start the service');
    assert.equal((JSON.parse(out.trim()) as { rc: number }).rc, OCF.SUCCESS, out);
    const pid = await pidOf(t.dir);
    assert.ok(alive(pid));
    proc.kill('SIGKILL');
    await eventually(() => !alive(pid), `service pid ${pid} to die with its daemon`);
  } finally {
    proc.kill('SIGKILL');
    await t.cleanup();
  }
});

test('service: with a VIP in the group, readiness is checked on the VIP (services bind there, S14)', async () => {
  const port = await freePort();
  const code = `require('net').createServer(s => s.end()).listen(${port}, '127.0.0.77')`;
  const t = await tempDir();
  const svc = parseResource({ name: 'svc', type: 'service', params: { command: [process.execPath, '-e', code], readyPort: port } });
  const vip = parseResource({ name: 'vip', type: 'vip', params: { address: '127.0.0.77', driver: 'loopback' } });
  const group = { ...svc.group, resources: [vip.resource, svc.resource] };
  const ctx = makeContext({ group, resource: svc.resource, stateDir: t.dir });
  const agent = serviceAgent(svc.resource);
  try {
    const out = await agent.start(ctx);
    assert.equal(out.rc, OCF.SUCCESS, out.reason);
    assert.match(out.reason, new RegExp(`ready: connected to 127\\.0\\.0\\.77:${port}$`));
    assert.deepEqual(await agent.monitor(ctx), { rc: OCF.SUCCESS, reason: `pid ${await pidOf(t.dir)} running, connected to 127.0.0.77:${port}` });
  } finally {
    await agent.stop(ctx);
    await t.cleanup();
  }
});
