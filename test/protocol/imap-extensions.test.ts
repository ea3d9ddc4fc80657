// The extensions the server advertises, checked on the wire against their RFCs: MOVE
// (6851) with sequence numbers, UIDPLUS (4315) UID EXPUNGE and MULTIAPPEND (3502),
// ESEARCH (4731), SEARCHRES (5182), UTF8=ACCEPT (6855), BINARY (3516), QUOTA (9208),
// RENAME of a folder with children, mailbox names as literals, read-only sessions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startImap, fixtureMessage, type ImapFixture } from '../helpers/imap.ts';
import { ImapRaw, fetchLines, responseCode } from '../helpers/imap-raw.ts';

let f: ImapFixture;
const open: ImapRaw[] = [];

before(async () => {
  f = await startImap({}, { users: [['carol', 'christmas']] });
  for (let i = 1; i <= 6; i++) await f.deliver('alice', `From: sender${i}@example.org\nSubject: ext ${i}${i % 2 ? ' odd' : ''}\nMessage-ID: <ext-${i}@ext.test>\n\nbody ${i}\n`);
  await f.deliver('bob', fixtureMessage('nested.eml'));
});
after(async () => {
  for (const c of open) c.end();
  await f?.stop();
});

async function client(user = 'alice', pass = 'wonderland'): Promise<ImapRaw> {
  const c = await ImapRaw.open(f.port);
  open.push(c);
  await c.login(`${user}@demo.test`, pass);
  return c;
}

/** UIDs by sequence number, as the session sees them. */
async function uids(c: ImapRaw): Promise<number[]> {
  const lines = fetchLines((await c.ok('FETCH 1:* (UID)')).untagged);
  return [...lines.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => Number(/UID (\d+)/.exec(v)?.[1]));
}

test('MOVE by sequence numbers: COPYUID, then EXPUNGE responses that keep the client\'s numbering right (RFC 6851)', async () => {
  const c = await client();
  await c.ok('SELECT INBOX');
  const model = await uids(c);
  assert.equal(model.length, 6);
  const r = await c.ok('MOVE 2:3 Trash');
  const copyUid = responseCode([...r.untagged, r.tagged], 'COPYUID');
  assert.ok(copyUid, `COPYUID in ${r.untagged.join(' | ')} ${r.tagged}`);
  assert.match(copyUid, new RegExp(`^\\d+ ${model[1]}:${model[2]} \\d+:\\d+$`));
  for (const l of r.untagged) {
    const m = /^\* (\d+) EXPUNGE$/.exec(l);
    if (m) model.splice(Number(m[1]) - 1, 1);
  }
  assert.equal(model.length, 4, `two EXPUNGE responses: ${r.untagged.join(' | ')}`);
  assert.deepEqual(await uids(c), model, 'the EXPUNGEs, applied in order, give the server\'s numbering');
  await c.ok('SELECT Trash');
  assert.equal((await uids(c)).length, 2);
  await c.logout();
});

test('UID EXPUNGE removes only the named \\Deleted messages; CLOSE expunges silently, UNSELECT does not', async () => {
  const c = await client();
  await c.ok('SELECT INBOX');
  const before = await uids(c);
  await c.ok(`UID STORE ${before[0]},${before[1]} +FLAGS.SILENT (\\Deleted)`);
  const r = await c.ok(`UID EXPUNGE ${before[1]}`);
  assert.deepEqual(r.untagged.filter((l) => /EXPUNGE/.test(l)), ['* 2 EXPUNGE']);
  assert.deepEqual(await uids(c), [before[0], ...before.slice(2)], 'the other \\Deleted message stays');
  await c.ok('UNSELECT');
  await c.ok('SELECT INBOX');
  assert.equal((await uids(c)).length, before.length - 1, 'UNSELECT expunged nothing');
  const close = await c.ok('CLOSE');
  assert.ok(!close.untagged.some((l) => /EXPUNGE/.test(l)), 'CLOSE sends no EXPUNGE');
  await c.ok('SELECT INBOX');
  assert.deepEqual(await uids(c), before.slice(2));
  await c.logout();
});

test('ESEARCH RETURN (MIN MAX COUNT) and SEARCHRES: a saved result used as $ in FETCH', async () => {
  const c = await client();
  await c.ok('SELECT INBOX');
  const all = await uids(c);
  const es = await c.ok('UID SEARCH RETURN (MIN MAX COUNT) ALL');
  const line = es.untagged.find((l) => l.startsWith('* ESEARCH'));
  assert.ok(line, es.untagged.join('\n'));
  assert.match(line, /\(TAG "A\d+"\) UID/);
  assert.match(line, new RegExp(`MIN ${Math.min(...all)}\\b`));
  assert.match(line, new RegExp(`MAX ${Math.max(...all)}\\b`));
  assert.match(line, new RegExp(`COUNT ${all.length}\\b`));
  const save = await c.ok('UID SEARCH RETURN (SAVE) SUBJECT odd');
  assert.ok(!save.untagged.some((l) => /SEARCH/.test(l)), 'RETURN (SAVE) alone sends no result');
  const fetched = fetchLines((await c.ok('UID FETCH $ (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])')).untagged);
  assert.ok(fetched.size > 0);
  for (const v of fetched.values()) assert.match(v, /odd/);
  await c.logout();
});

test('BINARY.PEEK decodes a base64 part; BINARY.SIZE gives its decoded size (RFC 3516)', async () => {
  const c = await client('bob', 'builder');
  await c.ok('SELECT INBOX');
  const pdf = Buffer.from('JVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoKPDwvVHlwZS9DYXRhbG9nPj4KZW5kb2JqCnRyYWlsZXIKPDwvUm9vdCAxIDAgUj4+CiUlRU9GCg==', 'base64');
  const v = fetchLines((await c.ok('FETCH 1 (BINARY.PEEK[2] BINARY.SIZE[2])')).untagged).get(1);
  assert.ok(v);
  assert.match(v, new RegExp(`BINARY.SIZE\\[2\\] ${pdf.length}\\b`));
  const m = /BINARY\[2\] ~?\{(\d+)\}\r\n/.exec(v);
  assert.ok(m, v);
  assert.equal(Number(m[1]), pdf.length);
  const start = m.index + m[0].length;
  assert.ok(Buffer.from(v.slice(start, start + pdf.length), 'latin1').equals(pdf));
  await c.logout();
});

test('UTF8=ACCEPT: a UTF-8 mailbox name is created, listed in UTF-8, stored in modified UTF-7, and shown so to other clients', async () => {
  const c = await client('carol', 'christmas');
  const en = await c.ok('ENABLE UTF8=ACCEPT');
  assert.ok(en.untagged.some((l) => /^\* ENABLED .*UTF8=ACCEPT/.test(l)), en.untagged.join('\n'));
  const name = Buffer.from('"Größe/Maße"', 'utf8').toString('latin1');
  await c.ok(`CREATE ${name}`);
  const list = (await c.ok('LIST "" "Gr*"')).untagged.map((l) => Buffer.from(l, 'latin1').toString('utf8'));
  assert.ok(list.some((l) => /"Größe\/Maße"$/.test(l)), list.join('\n'));
  assert.ok(existsSync(join(f.maildir('carol'), '.Gr&APYA3w-e.Ma&AN8-e')), 'Maildir++ directory in modified UTF-7');
  const plain = await client('carol', 'christmas');
  const list7 = (await plain.ok('LIST "" "Gr*"')).untagged;
  assert.ok(list7.some((l) => /"?Gr&APYA3w-e\/Ma&AN8-e"?$/.test(l)), list7.join('\n'));
  await plain.ok('SELECT "Gr&APYA3w-e/Ma&AN8-e"');
  await plain.logout();
  await c.logout();
});

test('RENAME of a folder takes its children, messages and UIDVALIDITY along', async () => {
  const c = await client('carol', 'christmas');
  await c.ok('CREATE Projects/Alpha');
  await c.ok('CREATE Projects/Alpha/Notes');
  const msg = 'Subject: note\r\n\r\nkeep me\r\n';
  c.send(`R1 APPEND Projects/Alpha/Notes {${msg.length}+}\r\n${msg}\r\n`);
  const appended = await c.until('R1');
  const validity = /\[APPENDUID (\d+) (\d+)\]/.exec(appended.tagged);
  assert.ok(validity, appended.tagged);
  await c.ok('RENAME Projects/Alpha Projects/Beta');
  const names = (await c.ok('LIST "" "Projects/*"')).untagged.map((l) => /"?([^"]*)"?$/.exec(l)?.[1]);
  assert.ok(names.includes('Projects/Beta') && names.includes('Projects/Beta/Notes'), names.join(', '));
  assert.ok(!names.some((n) => n?.includes('Alpha')), names.join(', '));
  const sel = await c.ok('SELECT Projects/Beta/Notes');
  assert.equal(responseCode(sel.untagged, 'UIDVALIDITY'), validity[1]);
  assert.deepEqual(await uids(c), [Number(validity[2])]);
  await c.logout();
});

test('mailbox names as literals; EXAMINE is read-only: STORE is refused', async () => {
  const c = await client();
  c.send('L1 EXAMINE {5}\r\n');
  assert.match((await c.response())!, /^\+/);
  c.send('INBOX\r\n');
  const ex = await c.until('L1');
  assert.equal(ex.status, 'OK', ex.tagged);
  assert.match(ex.tagged, /\[READ-ONLY\]/);
  assert.equal((await c.cmd('STORE 1 +FLAGS (\\Flagged)')).status, 'NO');
  await c.logout();
});

test('MULTIAPPEND stores several messages in one command with one APPENDUID set (RFC 3502, 4315)', async () => {
  const c = await client('carol', 'christmas');
  const a = 'Subject: multi one\r\n\r\none\r\n';
  const b = 'Subject: multi two\r\n\r\ntwo\r\n';
  c.send(`M1 APPEND INBOX (\\Seen) {${a.length}+}\r\n${a} {${b.length}+}\r\n${b}\r\n`);
  const r = await c.until('M1');
  assert.equal(r.status, 'OK', r.tagged);
  assert.match(r.tagged, /\[APPENDUID \d+ \d+:\d+\]/);
  await c.ok('SELECT INBOX');
  const subjects = [...fetchLines((await c.ok('FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])')).untagged).values()].join('\n');
  assert.match(subjects, /multi one/);
  assert.match(subjects, /multi two/);
  await c.logout();
});

test('QUOTA: GETQUOTAROOT reports usage and limit; an APPEND over the quota is refused with [OVERQUOTA] before the literal', async () => {
  f.vol.directory.updateUser('bob@demo.test', { quotaBytes: 10240 });
  const c = await client('bob', 'builder');
  const q = await c.ok('GETQUOTAROOT INBOX');
  const quota = q.untagged.find((l) => l.startsWith('* QUOTA '));
  assert.ok(quota, q.untagged.join('\n'));
  assert.match(quota, /STORAGE \d+ 10\b/, 'STORAGE in units of 1024 octets (RFC 9208 5.1)');
  c.send(`Q1 APPEND INBOX {20000}\r\n`);
  const r = await c.response();
  assert.match(r!, /^Q1 NO \[OVERQUOTA\]/);
  await c.logout();
});
