// The drain of the smtp service on SIGTERM (docs/switchover.md), with a real process and
// raw clients: a DATA transfer in flight finishes and gets its 250 (and the message is in
// the Maildir), a transaction between MAIL and DATA completes too, an idle session gets
// 421 at once, a new connection gets 421 instead of the greeting, then the process exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTestVolume } from '../helpers/volume.ts';
import { startServiceProcess, type ServiceProcess } from '../helpers/process.ts';
import { ImapRaw } from '../helpers/imap-raw.ts';
import { listMaildir, readMessage } from '../../src/mail/storage/maildir.ts';

const ONLY_SMTP = {
  address: '127.0.0.1',
  smtp: { port: 0 }, submission: { port: null }, submissions: { port: null },
  pop3: { port: null }, pop3s: { port: null }, imap: { port: null }, imaps: { port: null },
};

const MOVING = /^421 4\.3\.2 mail\.demo\.test Service moving to another server, try again shortly$/;

/** Reads lines until one that is not a multi-line continuation ("250-..."). */
async function reply(c: ImapRaw): Promise<string | null> {
  for (;;) {
    const l = await c.line(20_000);
    if (l === null || !/^\d{3}-/.test(l)) return l;
  }
}

async function say(c: ImapRaw, line: string, expect: RegExp): Promise<void> {
  c.send(`${line}\r\n`);
  const r = await reply(c);
  assert.match(r ?? '(closed)', expect, `${line} -> ${r}`);
}

/** Polls the service's log for an event (bounded). */
async function logged(svc: ServiceProcess, event: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (svc.stderr().includes(`"event":"${event}"`)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${event} in the log:\n${svc.stderr().slice(-2000)}`);
}

test('SIGTERM drains smtp: transactions in flight get 250, idle and new sessions get 421, exit 0', async () => {
  // A drain long enough that the test never races it; the test ends it by finishing.
  const vol = await makeTestVolume({ listen: ONLY_SMTP, limits: { drainTimeoutSeconds: 60 } });
  const svc = await startServiceProcess('smtp', vol.root);
  try {
    const port = svc.port();
    // A: in the middle of a slow DATA transfer.
    const a = await ImapRaw.open(port);
    assert.match(a.greeting, /^220 /);
    await say(a, 'EHLO a.client.test', /^250 /);
    await say(a, 'MAIL FROM:<bob@demo.test>', /^250 /);
    await say(a, 'RCPT TO:<alice@demo.test>', /^250 /);
    await say(a, 'DATA', /^354 /);
    a.send('Subject: in flight during the drain\r\nMessage-ID: <drain-a@client.test>\r\n\r\nfirst half\r\n');
    // B: between MAIL and RCPT.
    const b = await ImapRaw.open(port);
    await say(b, 'EHLO b.client.test', /^250 /);
    await say(b, 'MAIL FROM:<bob@demo.test>', /^250 /);
    // C: idle after EHLO.
    const c = await ImapRaw.open(port);
    await say(c, 'EHLO c.client.test', /^250 /);

    const exited = new Promise<number | null>((resolve) => svc.proc.once('exit', (code) => resolve(code)));
    svc.proc.kill('SIGTERM');
    await logged(svc, 'smtp.drain.start');

    assert.match((await c.line(20_000)) ?? '(closed)', MOVING, 'the idle session is told at once');
    assert.equal(await c.line(20_000), null, 'and closed');

    const d = await ImapRaw.open(port);
    assert.match(d.greeting, MOVING, 'a new connection gets 421 instead of the greeting');
    assert.equal(await d.line(20_000), null);

    a.send(`second half\r\n${'x'.repeat(5000)}\r\n.\r\n`);
    assert.match((await reply(a)) ?? '(closed)', /^250 2\.0\.0 OK: message accepted/, 'the transfer in flight is accepted');
    assert.match((await a.line(20_000)) ?? '(closed)', MOVING, 'then 421');
    assert.equal(await a.line(20_000), null);

    await say(b, 'RCPT TO:<alice@demo.test>', /^250 /);
    await say(b, 'DATA', /^354 /);
    b.send('Subject: begun before the drain\r\nMessage-ID: <drain-b@client.test>\r\n\r\nbody\r\n.\r\n');
    assert.match((await reply(b)) ?? '(closed)', /^250 2\.0\.0 OK: message accepted/, 'a transaction begun before the drain completes');
    assert.match((await b.line(20_000)) ?? '(closed)', MOVING);

    assert.equal(await exited, 0, 'the service exits 0 once drained');
    const stored = await listMaildir(vol.layout.maildir('demo.test', 'alice'));
    const texts = await Promise.all(stored.map(async (m) => (await readMessage(m.path)).toString()));
    assert.equal(texts.filter((t) => t.includes('<drain-a@client.test>')).length, 1, 'message A is stored once');
    assert.equal(texts.filter((t) => t.includes('<drain-b@client.test>')).length, 1, 'message B is stored once');
    assert.ok(texts.find((t) => t.includes('<drain-a@client.test>'))!.includes('second half'), 'whole');
    assert.match(svc.stderr(), /"event":"smtp.drain.done","left":0/);
  } finally {
    await svc.kill('SIGKILL');
    vol.cleanup();
  }
});

test('the drain ends at drainTimeoutSeconds: a stalled transfer is cut with 421 and nothing is stored', async () => {
  const vol = await makeTestVolume({ listen: ONLY_SMTP, limits: { drainTimeoutSeconds: 1 } });
  const svc = await startServiceProcess('smtp', vol.root);
  try {
    const a = await ImapRaw.open(svc.port());
    await say(a, 'EHLO a.client.test', /^250 /);
    await say(a, 'MAIL FROM:<bob@demo.test>', /^250 /);
    await say(a, 'RCPT TO:<alice@demo.test>', /^250 /);
    await say(a, 'DATA', /^354 /);
    a.send('Subject: never finished\r\n\r\nhalf');
    const exited = new Promise<number | null>((resolve) => svc.proc.once('exit', (code) => resolve(code)));
    svc.proc.kill('SIGTERM');
    assert.match((await a.line(30_000)) ?? '(closed)', MOVING, 'cut with 421: the client retries later');
    assert.equal(await exited, 0);
    assert.equal((await listMaildir(vol.layout.maildir('demo.test', 'alice'))).length, 0, 'nothing was acknowledged, nothing stored');
    assert.match(svc.stderr(), /drain time over: 1 session\(s\) cut/);
  } finally {
    await svc.kill('SIGKILL');
    vol.cleanup();
  }
});
