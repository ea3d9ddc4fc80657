// `npm start` (tandem demo): comes up on 127.0.0.100 with the demo users, and a second
// start finds the mail of the first. Runs the real command as a child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { TANDEM_BIN } from '../helpers/process.ts';
import { DEMO } from '../../src/demo/demo-volume.ts';
import { listMaildir, readMessage } from '../../src/mail/storage/maildir.ts';
import { VolumeLayout } from '../../src/mail/core/volume.ts';

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer().once('error', () => resolve(false)).listen(port, DEMO.address, () => srv.close(() => resolve(true)));
  });
}

async function runDemo(dir: string): Promise<{ stop: () => Promise<number | null>; output: () => string }> {
  const proc = spawn(process.execPath, [TANDEM_BIN, 'demo', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  proc.stderr.on('data', (c: Buffer) => { out += c.toString(); });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo not ready:\n${out}`)), 60_000);
    proc.stdout.on('data', () => { if (out.includes('Press Ctrl-C')) { clearTimeout(timer); resolve(); } });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`demo exited ${code}:\n${out}`)); });
  });
  return {
    output: () => out,
    stop: () => new Promise((resolve) => { proc.once('exit', (code) => resolve(code)); proc.kill('SIGINT'); }),
  };
}

test('the demo serves the demo users on 127.0.0.100 and keeps their mail across restarts', async (t) => {
  if (!(await portFree(DEMO.ports.smtp))) {
    t.skip(`port ${DEMO.address}:${DEMO.ports.smtp} is taken (is \`npm start\` running?)`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'tandem-demo-'));
  const running: Array<{ stop: () => Promise<number | null>; stopped: boolean }> = [];
  const track = <T extends { stop: () => Promise<number | null> }>(d: T): T => {
    const entry = { stop: d.stop, stopped: false };
    running.push(entry);
    return { ...d, stop: async () => { entry.stopped = true; return d.stop(); } };
  };
  try {
    const first = track(await runDemo(dir));
    assert.match(first.output(), /alice@demo\.test\s+password wonderland/);
    // The seven services of DESIGN 3.4 (and account replication) are all up.
    for (const service of ['smtp', 'pop3', 'imap', 'http', 'ldap', 'password', 'cron', 'replication']) {
      assert.match(first.output(), new RegExp(`^  ${service}\\s`, 'm'), `${service} is running`);
    }
    const transport = nodemailer.createTransport({ host: DEMO.address, port: DEMO.ports.smtp, secure: false, ignoreTLS: true });
    const info = await transport.sendMail({ from: 'bob@demo.test', to: 'alice@demo.test', subject: 'kept across restarts', text: 'hello' });
    assert.deepEqual(info.accepted, ['alice@demo.test']);
    assert.doesNotMatch(first.output(), /exited \(code|keeps dying/, 'no service died while the demo ran');
    assert.equal(await first.stop(), 0, 'Ctrl-C stops the demo cleanly');

    const second = track(await runDemo(dir));
    assert.match(second.output(), /Reusing the demo mail volume/);
    const inbox = new VolumeLayout(join(dir, 'mail')).maildir('demo.test', 'alice');
    const subjects = await Promise.all((await listMaildir(inbox)).map(async (m) => /^Subject: (.*)$/m.exec((await readMessage(m.path)).toString())?.[1]?.trim()));
    assert.ok(subjects.includes('kept across restarts'), `mail from the first run is there: ${subjects.join(', ')}`);
    assert.equal(await second.stop(), 0);
  } finally {
    // A failed assertion must not leave a demo (and its services) running.
    for (const d of running) if (!d.stopped) await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
