// RFC edge cases over a raw socket, asserting on the exact wire: literals (RFC 3501 7.5 /
// 9051 4.3, LITERAL+ and LITERAL- of RFC 7888), partial fetches, MIME part numbers of
// nested multiparts, BODY.PEEK, the expunge rules of RFC 3501 7.4.1 with two sessions,
// and bad input answered with BAD on a connection that stays usable.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startImap, fixtureMessage, eventually, type ImapFixture } from '../helpers/imap.ts';
import { ImapRaw, fetchLines, responseCode } from '../helpers/imap-raw.ts';
import { listMaildir } from '../../src/mail/storage/maildir.ts';

let f: ImapFixture;
const PLAIN = fixtureMessage('plain.eml');
const NESTED = fixtureMessage('nested.eml');
const open: ImapRaw[] = [];

before(async () => {
  f = await startImap({}, { users: [['carol', 'christmas']] });
  for (const m of [PLAIN, NESTED]) await f.deliver('alice', m);
});
after(async () => {
  for (const c of open) c.end();
  await f?.stop();
});

async function client(opts: { login?: string; select?: string } = {}): Promise<ImapRaw> {
  const c = await ImapRaw.open(f.port);
  open.push(c);
  if (opts.login) await c.login(`${opts.login}@demo.test`, { alice: 'wonderland', bob: 'builder', carol: 'christmas' }[opts.login]);
  if (opts.select) await c.ok(`SELECT ${opts.select}`);
  return c;
}

/** The connection still works: NOOP gets a tagged OK. */
async function usable(c: ImapRaw): Promise<void> {
  const r = await c.cmd('NOOP');
  assert.equal(r.status, 'OK', `NOOP after the bad input: ${r.tagged}`);
}

test('greeting and CAPABILITY: IMAP4rev1, STARTTLS on the cleartext port, literal and extension capabilities', async () => {
  const c = await client();
  assert.match(c.greeting, /^\* OK /);
  const r = await c.ok('CAPABILITY');
  const caps = r.untagged.find((l) => l.startsWith('* CAPABILITY '));
  assert.ok(caps, r.untagged.join('\n'));
  for (const cap of ['IMAP4rev1', 'STARTTLS', 'AUTH=PLAIN']) assert.ok(caps.split(' ').includes(cap), `${cap} in ${caps}`);
  assert.match(caps, / LITERAL[+-]( |$)/, 'LITERAL+ or LITERAL- (RFC 7888)');
  c.end();
});

test('synchronizing literals: the server sends "+" for each and the command completes', async () => {
  const c = await client();
  c.send('L1 LOGIN {15}\r\n');
  assert.match((await c.response())!, /^\+/);
  c.send('alice@demo.test {10}\r\n');
  assert.match((await c.response())!, /^\+/);
  c.send('wonderland\r\n');
  const r = await c.until('L1');
  assert.equal(r.status, 'OK', r.tagged);
  await c.logout();
});

test('LITERAL+ / LITERAL-: a non-synchronizing APPEND is taken without a continuation, up to the advertised limit', async () => {
  const c = await client({ login: 'bob' });
  const caps = (await c.ok('CAPABILITY')).untagged.join(' ');
  const msg = Buffer.from(`Subject: non-sync literal\r\n\r\n${'x'.repeat(3000)}\r\n`);
  c.send(Buffer.concat([Buffer.from(`P1 APPEND INBOX {${msg.length}+}\r\n`), msg, Buffer.from('\r\n')]));
  const r = await c.until('P1');
  assert.equal(r.status, 'OK', r.tagged);
  assert.ok(!r.untagged.some((l) => l.startsWith('+')), 'no continuation request for a non-synchronizing literal');
  assert.match(r.tagged, /\[APPENDUID \d+ \d+\]/);

  const big = Buffer.from(`Subject: big non-sync literal\r\n\r\n${'y'.repeat(6000)}\r\n`);
  c.send(Buffer.concat([Buffer.from(`P2 APPEND INBOX {${big.length}+}\r\n`), big, Buffer.from('\r\n')]));
  const r2 = await c.until('P2');
  if (/ LITERAL\+/.test(caps)) {
    assert.equal(r2.status, 'OK', `LITERAL+ has no size limit below the APPEND limit: ${r2.tagged}`);
  } else {
    // RFC 7888 section 4: over 4096 octets under LITERAL- is refused with BAD [TOOBIG].
    assert.equal(r2.status, 'BAD', r2.tagged);
  }
  await usable(c);
  await c.logout();
});

test('an oversize synchronizing literal is refused before any data is sent; the connection stays usable', async () => {
  const c = await client({ login: 'bob' });
  const before = (await listMaildir(f.maildir('bob'))).length;
  c.send('O1 APPEND INBOX {999999999}\r\n');
  const r = await c.response();
  assert.match(r!, /^O1 (NO|BAD) /, `refused with a tagged NO/BAD, never "+": ${r}`);
  assert.match(r!, /TOOBIG|too (big|large)|limit/i);
  await usable(c);
  assert.equal((await listMaildir(f.maildir('bob'))).length, before);
  await c.logout();
});

test('an oversize non-synchronizing literal gets a tagged BAD or NO, never an OK; the server keeps serving others', async () => {
  const c = await client({ login: 'bob' });
  const before = (await listMaildir(f.maildir('bob'))).length;
  // RFC 7888 section 4: the server rejects it and may close the connection, since the
  // client is already sending the octets.
  c.send(`N1 APPEND INBOX {999999999+}\r\n${'n'.repeat(20_000)}`);
  const r = await c.response(15_000).catch(() => null);
  if (r !== null) assert.match(r, /^N1 (BAD|NO) /, `a refusal, got: ${r}`);
  c.end();
  const d = await client({ login: 'bob' });
  await usable(d);
  assert.equal((await listMaildir(f.maildir('bob'))).length, before);
  await d.logout();
});

test('a literal cut by a disconnect stores nothing and leaves no temp file; the server keeps serving', async () => {
  const c = await client({ login: 'carol' });
  const before = (await listMaildir(f.maildir('carol'))).length;
  // Over the in-memory literal size (64 KiB), so the server streams it to a temp file.
  c.send('C1 APPEND INBOX {300000}\r\n');
  assert.match((await c.response())!, /^\+/);
  c.send(Buffer.alloc(100_000, 'z'));
  const sinks = join(f.vol.layout.runDir, 'imap-tmp');
  const empty = (dir: string): boolean => { try { return readdirSync(dir).length === 0; } catch { return true; } };
  await eventually(() => !empty(sinks), 'the streamed literal\'s temp file under run/imap-tmp/');
  c.end();
  const d = await client({ login: 'carol', select: 'INBOX' });
  await eventually(() => empty(sinks) && empty(join(f.maildir('carol'), 'tmp')), 'the cut APPEND\'s temp file to go');
  assert.equal((await listMaildir(f.maildir('carol'))).length, before, 'no message from a cut literal');
  await d.logout();
});

test('partial FETCH: <0.10>, an offset inside, a range crossing the end, and an origin beyond the end', async () => {
  const c = await client({ login: 'alice', select: 'INBOX' });
  const size = PLAIN.length;
  const a = fetchLines((await c.ok('FETCH 1 (BODY.PEEK[]<0.10>)')).untagged).get(1);
  assert.equal(a, `BODY[]<0> {10}\r\n${PLAIN.toString('latin1', 0, 10)}`);
  const b = fetchLines((await c.ok('FETCH 1 (BODY.PEEK[]<7.5>)')).untagged).get(1);
  assert.match(b!, /^BODY\[\]<7> ("Path:"|\{5\}\r\nPath:)$/);
  const tail = fetchLines((await c.ok(`FETCH 1 (BODY.PEEK[]<${size - 4}.100>)`)).untagged).get(1);
  assert.equal(tail, `BODY[]<${size - 4}> {4}\r\n${PLAIN.toString('latin1', size - 4)}`, 'a range crossing the end is cut at the end');
  const beyond = fetchLines((await c.ok(`FETCH 1 (BODY.PEEK[]<${size + 10}.10>)`)).untagged).get(1);
  assert.match(beyond!, new RegExp(`^BODY\\[\\]<${size + 10}> (""|\\{0\\}\\r\\n)$`), 'RFC 3501 6.4.5: beyond the end is an empty string');
  const text = fetchLines((await c.ok('FETCH 1 (BODY.PEEK[TEXT]<0.2>)')).untagged).get(1);
  assert.match(text!, /^BODY\[TEXT\]<0> ("Hi"|\{2\}\r\nHi)$/);
  await c.logout();
});

test('MIME parts of nested multiparts: sub-part MIME headers, an encapsulated message\'s TEXT, a part that does not exist', async () => {
  const c = await client({ login: 'alice', select: 'INBOX' });
  const get = async (section: string): Promise<string> => {
    const r = await c.ok(`FETCH 2 (BODY.PEEK[${section}])`);
    const v = fetchLines(r.untagged).get(2);
    assert.ok(v, `a FETCH response for BODY[${section}]: ${r.untagged.join('\n')}`);
    const m = /^BODY\[[^\]]*\] (?:\{(\d+)\}\r\n([\s\S]*)|"([^"]*)"|NIL)$/.exec(v);
    assert.ok(m, `BODY[${section}] value: ${v}`);
    if (m[1] !== undefined) assert.equal(Buffer.byteLength(m[2]!, 'latin1'), Number(m[1]));
    return m[2] ?? m[3] ?? '';
  };
  assert.equal(await get('1.1'), 'The report is attached. Plain text version.');
  assert.equal(await get('1.1.MIME'), 'Content-Type: text/plain; charset=us-ascii\r\n\r\n');
  assert.equal(await get('3.2.MIME'), 'Content-Type: image/png; name="dot.png"\r\nContent-Transfer-Encoding: base64\r\n\r\n');
  assert.match(await get('3.TEXT'), /^--inner-boundary\r\nContent-Type: text\/plain; charset=us-ascii\r\n\r\nInner text part\.\r\n--inner-boundary\r\n/);
  assert.match(await get('3.HEADER.FIELDS (SUBJECT)'), /^Subject: Inner message\r\n\r\n$/);
  assert.match(await get('1'), /^--alt-boundary\r\n[\s\S]*--alt-boundary--\r\n$/, 'BODY[1] of a multipart is its body with the boundaries');
  assert.equal(await get('9'), '', 'a part that does not exist is an empty string (RFC 9051 6.4.5)');
  assert.equal(await get('3.2.7'), '');
  await c.logout();
});

test('BODY.PEEK leaves \\Seen unset; BODY[] sets it and reports FLAGS; EXAMINE never sets it', async () => {
  await f.deliver('carol', PLAIN);
  const c = await client({ login: 'carol' });
  await c.ok('EXAMINE INBOX');
  const ex = await c.ok('FETCH 1 (BODY[HEADER])');
  assert.doesNotMatch(ex.untagged.join('\n'), /\\Seen/, 'read-only: no implicit \\Seen');
  await c.ok('SELECT INBOX');
  const peek = await c.ok('FETCH 1 (BODY.PEEK[] FLAGS)');
  assert.doesNotMatch(peek.untagged.join('\n'), /\\Seen/);
  assert.doesNotMatch((await c.ok('FETCH 1 (FLAGS)')).untagged.join('\n'), /\\Seen/);
  const body = await c.ok('FETCH 1 (BODY[])');
  assert.match(body.untagged.join('\n'), /FLAGS \([^)]*\\Seen/, 'the implicit \\Seen is reported (RFC 3501 6.4.5)');
  assert.match((await c.ok('FETCH 1 (FLAGS)')).untagged.join('\n'), /\\Seen/);
  const files = await listMaildir(f.maildir('carol'));
  assert.ok(files.some((m) => m.flags.includes('S')), 'and stored as the Maildir S flag');
  await c.logout();
});

test('expunge rules with two sessions: no EXPUNGE during FETCH/STORE/SEARCH, delivered at NOOP; sequence numbers stay consistent', async () => {
  for (let i = 0; i < 4; i++) await f.deliver('bob', `Subject: expunge test ${i}\n\nbody ${i}\n`);
  const a = await client({ login: 'bob', select: 'INBOX' });
  const b = await client({ login: 'bob', select: 'INBOX' });
  const count = (await a.ok('SEARCH ALL')).untagged.join(' ').split(' ').length - 2;
  assert.ok(count >= 4, `bob has at least 4 messages (${count})`);

  await b.ok('STORE 1 +FLAGS.SILENT (\\Deleted)');
  const bx = await b.ok('EXPUNGE');
  assert.ok(bx.untagged.includes('* 1 EXPUNGE'), `the expunging session is told: ${bx.untagged.join('\n')}`);
  await new Promise((r) => setTimeout(r, 300)); // time for the server to tell (or wrongly tell) A

  // Session A has not been told yet: its sequence numbers must not shift under a FETCH,
  // STORE or SEARCH (RFC 3501 7.4.1, RFC 9051 7.5.1).
  const fetch = await a.cmd('FETCH 1:* (FLAGS)');
  assert.ok(!fetch.untagged.some((l) => /EXPUNGE/.test(l)), `no EXPUNGE during FETCH: ${fetch.untagged.join('\n')}`);
  const search = await a.cmd('SEARCH ALL');
  assert.ok(!search.untagged.some((l) => /EXPUNGE/.test(l)), `no EXPUNGE during SEARCH: ${search.untagged.join('\n')}`);
  const store = await a.cmd(`STORE ${count} +FLAGS (\\Flagged)`);
  assert.ok(!store.untagged.some((l) => /EXPUNGE/.test(l)), `no EXPUNGE during STORE: ${store.untagged.join('\n')}`);
  assert.equal(store.status, 'OK', store.tagged);
  const noop = await eventually(async () => {
    const r = await a.ok('NOOP');
    return r.untagged.includes('* 1 EXPUNGE') ? r : null;
  }, 'the EXPUNGE to reach session A at a NOOP');
  assert.ok(noop.untagged.includes('* 1 EXPUNGE'));
  const after = fetchLines((await a.ok('FETCH 1:* (UID FLAGS)')).untagged);
  assert.equal(after.size, count - 1, 'A now numbers one message fewer');
  assert.match(after.get(count - 1)!, /\\Flagged/, 'the STORE hit the message A meant (old number = last)');
  await a.logout();
  await b.logout();
});

test('IDLE: an APPEND by another session arrives as EXISTS; DONE ends the IDLE', async () => {
  const a = await client({ login: 'carol', select: 'INBOX' });
  const b = await client({ login: 'carol' });
  a.send('I1 IDLE\r\n');
  assert.match((await a.response())!, /^\+ /);
  const msg = 'Subject: during idle\r\n\r\nhello\r\n';
  b.send(`B1 APPEND INBOX {${msg.length}+}\r\n${msg}\r\n`);
  assert.equal((await b.until('B1')).status, 'OK');
  const ex = await a.expect(/^\* \d+ EXISTS$/, 15_000);
  assert.ok(ex.match);
  a.send('DONE\r\n');
  assert.equal((await a.until('I1')).status, 'OK');
  await a.logout();
  await b.logout();
});

test('bad input gets BAD and the connection stays usable: garbage, unknown verbs, missing arguments, unknown FETCH items', async () => {
  const c = await client({ login: 'alice', select: 'INBOX' });
  c.send('\x00\x01\x02 garbage\r\n');
  assert.match((await c.response())!, /^(\*|\S+) BAD /);
  await usable(c);
  assert.equal((await c.cmd('FROBNICATE now')).status, 'BAD');
  assert.equal((await c.cmd('FETCH')).status, 'BAD', 'missing arguments');
  assert.equal((await c.cmd('FETCH 1 (NOSUCHITEM)')).status, 'BAD');
  await usable(c);
  await c.logout();
});

test('bad input, continued on a second connection: out-of-range numbers, an over-long line, a million-part sequence set', async () => {
  const c = await client({ login: 'alice', select: 'INBOX' });
  assert.equal((await c.cmd('FETCH 0 (FLAGS)')).status, 'BAD', 'sequence number 0 is invalid');
  assert.equal((await c.cmd('FETCH 4294967296 (FLAGS)')).status, 'BAD', 'over 2^32-1');
  await usable(c);

  // 200 KiB without a line end, then one: dropped to its LF and answered with BAD.
  c.send(`L1 NOOP ${'a'.repeat(200 * 1024)}\r\n`);
  assert.match((await c.response())!, /^(L1|\*) BAD /);
  await usable(c);

  // A million-part sequence set (about 7 MB on one line).
  const parts = Array.from({ length: 1_000_000 }, (_, i) => String(2 * i + 1)).join(',');
  c.send(`M1 FETCH ${parts} (FLAGS)\r\n`);
  assert.match((await c.response(30_000))!, /^(M1|\*) BAD /);
  await usable(c);

  // A huge range is fine: it is a range, not a list, and matches only what exists.
  const range = await c.ok('UID FETCH 1:4294967295 (UID)');
  assert.equal(fetchLines(range.untagged).size, 2);
  // Commands in the wrong state.
  const fresh = await client();
  assert.match((await fresh.cmd('SELECT INBOX')).status, /BAD|NO/);
  assert.equal((await fresh.cmd('LOGIN alice@demo.test')).status, 'BAD');
  await usable(fresh);
  assert.equal(responseCode([(await c.ok('SELECT INBOX')).tagged], 'READ-WRITE'), '');
  await c.logout();
  await fresh.logout();
});

test('a mailbox deleted (or renamed away) and created again at once gets a greater UIDVALIDITY: a UID never names two messages (RFC 9051 2.3.1.1)', async () => {
  const c = await client({ login: 'carol' });
  const append = async (box: string, subject: string): Promise<[number, number]> => {
    const m = `Subject: ${subject}\r\n\r\n${subject}\r\n`;
    const tag = c.nextTag();
    c.send(`${tag} APPEND ${box} {${m.length}+}\r\n${m}\r\n`);
    const r = await c.until(tag);
    const code = /\[APPENDUID (\d+) (\d+)\]/.exec(r.tagged);
    assert.ok(code, r.tagged);
    return [Number(code[1]), Number(code[2])];
  };
  await c.ok('CREATE Recreated');
  const [v1, uid1] = await append('Recreated', 'first life');
  await c.ok('DELETE Recreated');
  await c.ok('CREATE Recreated');
  const [v2, uid2] = await append('Recreated', 'second life');
  assert.ok(v2 > v1 || uid2 > uid1, `UIDVALIDITY ${v1} -> ${v2} with UID ${uid1} -> ${uid2}: the same UID for another message`);
  await c.ok('RENAME Recreated Elsewhere');
  await c.ok('CREATE Recreated');
  const [v3, uid3] = await append('Recreated', 'third life');
  assert.ok(v3 > v2 || uid3 > uid2, `after RENAME away: UIDVALIDITY ${v2} -> ${v3} with UID ${uid2} -> ${uid3}`);
  await c.logout();
});
