// IMAP against curl (RFC 5092 URLs): list, fetch a message and a section by UID, search,
// over imap:// (plain on loopback, and STARTTLS with --ssl-reqd) and imaps://, with the
// volume certificate verified (it names 127.0.0.1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startImap, fixtureMessage, run, type ImapFixture } from '../helpers/imap.ts';

let f: ImapFixture;
const PLAIN = fixtureMessage('plain.eml');
const NESTED = fixtureMessage('nested.eml');

before(async () => {
  f = await startImap();
  await f.deliver('alice', PLAIN);
  await f.deliver('alice', NESTED);
});
after(() => f?.stop());

function curl(url: string, ...extra: string[]): ReturnType<typeof run> {
  return run('curl', ['-sS', '--max-time', '20', '--cacert', f.certFile, '-u', 'alice@demo.test:wonderland', ...extra, url]);
}

test('curl imap:// lists the mailboxes', async () => {
  const r = await curl(`imap://127.0.0.1:${f.port}/`);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split(/\r?\n/);
  for (const name of ['INBOX', 'Sent', 'Trash']) assert.ok(lines.some((l) => new RegExp(`^\\* LIST \\(.*\\) "/" "?${name}"?$`).test(l)), `${name} in:\n${r.stdout}`);
});

test('curl imap:// fetches a message by UID byte for byte, and one MIME section', async () => {
  const r = await curl(`imap://127.0.0.1:${f.port}/INBOX/;UID=1`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, PLAIN.toString('latin1'));
  const part = await curl(`imap://127.0.0.1:${f.port}/INBOX/;UID=2/;SECTION=1.2`);
  assert.equal(part.code, 0, part.stderr);
  assert.equal(part.stdout, '<p>The report is attached. <b>HTML</b> version.</p>');
});

test('curl imap:// searches with a URL query and with a custom UID SEARCH', async () => {
  const q = await curl(`imap://127.0.0.1:${f.port}/INBOX?SUBJECT%20report`);
  assert.equal(q.code, 0, q.stderr);
  assert.match(q.stdout, /^\* SEARCH 2\r?$/m);
  const x = await curl(`imap://127.0.0.1:${f.port}/INBOX`, '-X', 'UID SEARCH TEXT quokka');
  assert.equal(x.code, 0, x.stderr);
  assert.match(x.stdout, /^\* SEARCH 1\r?$/m);
});

test('curl --ssl-reqd upgrades imap:// with STARTTLS; imaps:// uses implicit TLS; both verify the certificate', async () => {
  const stls = await curl(`imap://127.0.0.1:${f.port}/INBOX/;UID=2`, '--ssl-reqd');
  assert.equal(stls.code, 0, stls.stderr);
  assert.equal(stls.stdout, NESTED.toString('latin1'));
  const imaps = await curl(`imaps://127.0.0.1:${f.tlsPort}/INBOX/;UID=1`);
  assert.equal(imaps.code, 0, imaps.stderr);
  assert.equal(imaps.stdout, PLAIN.toString('latin1'));
  const list = await curl(`imaps://127.0.0.1:${f.tlsPort}/`);
  assert.match(list.stdout, /"\/" "?INBOX"?/);
});

test('curl reports a login failure for a wrong password', async () => {
  const r = await run('curl', ['-sS', '--max-time', '20', '-u', 'alice@demo.test:wrong', `imap://127.0.0.1:${f.port}/`]);
  assert.equal(r.code, 67, `curl exit ${r.code}: ${r.stderr}`); // CURLE_LOGIN_DENIED
});
