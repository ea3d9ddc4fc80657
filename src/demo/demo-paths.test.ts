// Finding a running demo: the pid file must name a live process that is a demo (a stale
// file whose pid was reused is not), and the cluster commands say what they tried when
// no configuration is found at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoPaths, liveDemoPid, runningDemoConfig } from './demo-paths.ts';

const TANDEM_BIN = fileURLToPath(new URL('../../bin/tandem.js', import.meta.url));

test('runningDemoConfig: var/demo/cluster.yaml while demo.pid names a live demo process, else null', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'tandem-demo-paths-'));
  const paths = demoPaths(join(cwd, 'var', 'demo'));
  mkdirSync(paths.root, { recursive: true });
  // A stand-in for `tandem demo`: a live process with "demo" among its arguments.
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'demo'], { stdio: 'ignore' });
  try {
    assert.equal(runningDemoConfig(cwd, cwd), null, 'no pid file');
    writeFileSync(paths.pidFile, `${process.pid}\n`);
    assert.equal(liveDemoPid(paths.pidFile), null, 'a live process that is not a demo (a reused pid)');
    writeFileSync(paths.pidFile, `${child.pid}\n`);
    assert.deepEqual(runningDemoConfig(cwd, cwd), { config: paths.config, pid: child.pid });
    writeFileSync(paths.pidFile, 'garbage\n');
    assert.equal(liveDemoPid(paths.pidFile), null, 'a malformed pid file');
    writeFileSync(paths.pidFile, `${child.pid}\n`);
  } finally {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }
  try {
    assert.equal(runningDemoConfig(cwd, cwd), null, 'the demo process is gone');
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('a cluster command without any configuration lists what it tried', (t) => {
  if (existsSync('/etc/tandem/cluster.yaml')) {
    t.skip('this host has /etc/tandem/cluster.yaml, which the commands use');
    return;
  }
  if (runningDemoConfig()) {
    t.skip('a demo runs from this checkout (`npm start`), which the commands use');
    return;
  }
  const cwd = mkdtempSync(join(tmpdir(), 'tandem-demo-paths-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, TANDEM_LOG_LEVEL: 'silent' };
    delete env.TANDEM_CLUSTER_CONFIG;
    const r = spawnSync(process.execPath, [TANDEM_BIN, 'status'], { cwd, env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--config \(not given\), \$TANDEM_CLUSTER_CONFIG \(not set\), \/etc\/tandem\/cluster\.yaml \(no such file\) and a running demo/);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
