// POP3 over a live Maildir: UIDLs that survive restarts and flag changes, the login
// snapshot (RFC 1939 section 8), files renamed by other processes, removal failures at
// QUIT, bounded memory for huge messages, and shutdown without applying deletions.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, mkdirSync, unlinkSync, readFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startPop3, RawClient, type Pop3Fixture } from './pop3-helpers.ts';
import { deliverToMaildir, listMaildir, setMaildirFlags } from '../../src/mail/storage/maildir.ts';
import { startPop3Service } from '../../src/mail/pop3/service.ts';

let f: Pop3Fixture;
before(async () => { f = await startPop3(); });
after(() => f.stop());
beforeEach(() => rmSync(f.maildir('alice'), { recursive: true, force: true }));

async function session(user = 'alice@demo.test', password = 'wonderland'): Promise<RawClient> {
  const c = await RawClient.open(f.port);
  await c.line();
  assert.match(await c.login(user, password), /^\+OK/);
  return c;
}

async function uidl(): Promise<string[]> {
  const c = await session();
  assert.match(await c.cmd('UIDL'), /^\+OK/);
  const lines = await c.body();
  await c.quit();
  return lines;
}

test('UIDLs are the Maildir ids and stay the same across a flag change and a server restart', async () => {
  const a = await f.deliver('alice', 'Subject: a\n\nA\n');
  const b = await f.deliver('alice', 'Subject: b\n\nB\n');
  const before = await uidl();
  assert.deepEqual(before, [`1 ${a.id}`, `2 ${b.id}`]);
  // Another client (IMAP) marks message a as seen: the file moves from new/ to cur/.
  const [first] = await listMaildir(f.maildir('alice'));
  await setMaildirFlags(first!, f.maildir('alice'), 'S');
  await f.restart();
  assert.deepEqual(await uidl(), before);
});

test('messages are numbered in delivery order, also within one second where names sort differently', async () => {
  const sec = Math.floor(Date.now() / 1000) * 1000;
  // "M99..." sorts after "M123..." as text; by time, 99 ms comes first.
  const early = await deliverToMaildir(f.maildir('alice'), Buffer.from('Subject: early\r\n\r\n'), { now: sec + 99 });
  const late = await deliverToMaildir(f.maildir('alice'), Buffer.from('Subject: late\r\n\r\n'), { now: sec + 123 });
  assert.deepEqual(await uidl(), [`1 ${early.id}`, `2 ${late.id}`]);
});

test('the maildrop is a snapshot: mail delivered during a session shows up at the next login', async () => {
  await f.deliver('alice', 'Subject: old\n\nx\n');
  const c = await session();
  await f.deliver('alice', 'Subject: new\n\ny\n');
  assert.equal(await c.cmd('STAT'), '+OK 1 19');
  assert.equal(await c.cmd('RETR 2'), '-ERR no such message: 2 (maildrop has 1)');
  await c.quit();
  const d = await session();
  assert.equal(await d.cmd('STAT'), '+OK 2 38');
  await d.quit();
});

test('a message moved from new/ to cur/ by another process is still retrieved and deleted', async () => {
  const moved = await f.deliver('alice', 'Subject: moved\n\nbody\n');
  const gone = await f.deliver('alice', 'Subject: gone\n\nbody\n');
  const c = await session();
  await setMaildirFlags(moved, f.maildir('alice'), 'S');
  unlinkSync(gone.path);
  assert.match(await c.cmd('RETR 1'), /^\+OK \d+ octets$/);
  assert.deepEqual(await c.body(), ['Subject: moved', '', 'body']);
  assert.equal(await c.cmd('RETR 2'), '-ERR message 2 was removed by another client');
  assert.match(await c.cmd('DELE 1'), /^\+OK/);
  assert.match(await c.quit(), /\(1 messages deleted, /);
  assert.deepEqual(await listMaildir(f.maildir('alice')), []);
});

test('QUIT answers -ERR when a marked message cannot be removed, and the lock is released', async () => {
  const m = await f.deliver('alice', 'Subject: stuck\n\nx\n');
  const c = await session();
  // Replace the file with a directory of the same name: unlink() fails with EISDIR.
  unlinkSync(m.path);
  mkdirSync(m.path);
  assert.match(await c.cmd('DELE 1'), /^\+OK/);
  assert.match(await c.quit(), /^-ERR \[SYS\/TEMP\] some deleted messages not removed; try again later \(\w+\)$/);
  const d = await session();
  await d.quit();
});

test('RETR streams a 32 MiB message with bounded memory while the client reads slowly', async () => {
  const line = `${'x'.repeat(70)}\r\n.${'y'.repeat(70)}\r\n`;
  const body = Buffer.from(`Subject: big\r\n\r\n${line.repeat(Math.ceil((32 << 20) / line.length))}`);
  // Bob's mailbox: this test ends by dropping the connection, which frees the lock a
  // moment later; the other tests use alice's.
  const m = await f.deliver('bob', body);
  const c = await session('bob@demo.test', 'builder');
  const hash = createHash('sha256');
  let pending = '';
  let done = false;
  let header = '';
  const finished = new Promise<void>((resolve) => {
    c.socket.removeAllListeners('data');
    c.socket.on('data', (d: string) => {
      pending += d;
      if (!header) {
        const i = pending.indexOf('\r\n');
        if (i < 0) return;
        header = pending.slice(0, i);
        pending = pending.slice(i + 2);
      }
      // Un-stuff complete lines and hash them; keep only the partial last line.
      const cut = pending.lastIndexOf('\r\n');
      if (cut < 0) return;
      for (const l of pending.slice(0, cut).split('\r\n')) {
        if (l === '.') { done = true; resolve(); return; }
        hash.update(`${l.startsWith('.') ? l.slice(1) : l}\r\n`, 'latin1');
      }
      pending = pending.slice(cut + 2);
    });
  });
  // Collect garbage before each measurement so only live buffers count.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const liveBuffers = async (): Promise<number> => {
    // Backing stores are released after sweeping: collect twice across a turn.
    gc();
    await new Promise((r) => setImmediate(r));
    gc();
    return process.memoryUsage().arrayBuffers;
  };
  const base = await liveBuffers();
  c.socket.pause();
  c.send('RETR 1\r\n');
  await new Promise((r) => setTimeout(r, 400));
  const grown = (await liveBuffers()) - base;
  // A server that ignored backpressure would hold the whole 32 MiB here.
  assert.ok(grown < 12 << 20, `server holds ${(grown / 1048576).toFixed(1)} MiB of a 32 MiB message while the client is not reading`);
  c.socket.resume();
  await finished;
  assert.ok(done);
  assert.equal(header, `+OK ${body.length} octets`);
  assert.equal(hash.digest('hex'), createHash('sha256').update(readFileSync(m.path)).digest('hex'));
  c.end();
});

test('pipelined RETRs read ahead, and a client that vanishes mid-pipeline leaks no descriptors', async () => {
  for (let i = 1; i <= 20; i++) await f.deliver('alice', `Subject: ${i}\n\n${'x'.repeat(i * 100)}\n`);
  const openFds = (): number => readdirSync('/proc/self/fd').length;
  const c = await session();
  const fdsBefore = openFds();
  c.send(Array.from({ length: 20 }, (_, i) => `RETR ${i + 1}\r\n`).join(''));
  const seen = new Set<number>();
  for (let i = 1; i <= 20; i++) {
    const size = Number(/^\+OK (\d+) octets$/.exec((await c.line())!)?.[1]);
    const body = await c.body();
    const k = Number(body[0]?.slice('Subject: '.length));
    assert.equal(body[2], 'x'.repeat(k * 100), `message ${i} is whole`);
    assert.equal(size, `Subject: ${k}\r\n\r\n${'x'.repeat(k * 100)}\r\n`.length);
    seen.add(k);
  }
  assert.equal(seen.size, 20, 'each message once');
  c.send('RETR 1\r\nRETR 2\r\nRETR 3\r\n');
  c.end();
  let fds = openFds();
  for (let i = 0; i < 100 && fds > fdsBefore - 1; i++) {
    await new Promise((r) => setTimeout(r, 20));
    fds = openFds();
  }
  // The client's own socket is gone too, hence one less than before (or fewer, when
  // something from an earlier test closed meanwhile).
  assert.ok(fds <= fdsBefore - 1, `every message file and the server socket were closed (${fds} open, ${fdsBefore} before)`);
});

test('closing the service sends -ERR [SYS/TEMP] and drops the pending deletions of open sessions', async () => {
  await f.deliver('alice', 'Subject: survive\n\nx\n');
  const c = await session();
  assert.match(await c.cmd('DELE 1'), /^\+OK/);
  const closing = f.service.close();
  assert.equal(await c.line(), '-ERR [SYS/TEMP] server shutting down; try again later');
  await c.closedByServer();
  await closing;
  f.service = await startPop3Service(f.ctx);
  assert.equal((await listMaildir(f.maildir('alice'))).length, 1);
  const d = await session();
  assert.equal(await d.cmd('STAT'), '+OK 1 23');
  await d.quit();
});
