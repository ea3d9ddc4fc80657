// POP3 against real clients nobody here wrote: Python's poplib (plain, STLS, POP3S)
// and curl (pop3://, pop3:// with --ssl-reqd, pop3s://).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPop3, python, run, crlf, type Pop3Fixture } from './pop3-helpers.ts';
import { listMaildir } from '../../src/mail/storage/maildir.ts';

let f: Pop3Fixture;
const FIRST = 'From: carol@example.org\nTo: alice@demo.test\nSubject: first\n\nHello Alice.\n.leading dot survives\n..two dots\n';
const SECOND = 'From: dave@example.org\nSubject: second\n\nline 1\nline 2\nline 3\n';

let ids: string[] = [];
before(async () => {
  f = await startPop3();
  ids = [(await f.deliver('alice', FIRST)).id, (await f.deliver('alice', SECOND)).id];
});
after(() => f.stop());

// One poplib session: prints what each command returned as JSON.
const POPLIB = `
import json, poplib, ssl, sys
mode, port = sys.argv[1], int(sys.argv[2])
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
if mode == 'ssl':
    p = poplib.POP3_SSL('127.0.0.1', port, context=ctx, timeout=10)
else:
    p = poplib.POP3('127.0.0.1', port, timeout=10)
    if mode == 'stls':
        p.stls(ctx)
out = {'welcome': p.getwelcome().decode(), 'capa': sorted(p.capa().keys())}
p.user('alice@demo.test'); p.pass_('wonderland')
out['stat'] = list(p.stat())
out['list'] = [l.decode() for l in p.list()[1]]
out['uidl'] = [l.decode() for l in p.uidl()[1]]
out['retr1'] = [l.decode() for l in p.retr(1)[1]]
out['top2'] = [l.decode() for l in p.top(2, 1)[1]]
if len(sys.argv) > 3:
    p.dele(int(sys.argv[3]))
out['quit'] = p.quit().decode()
print(json.dumps(out))
`;

interface PoplibResult { welcome: string; capa: string[]; stat: number[]; list: string[]; uidl: string[]; retr1: string[]; top2: string[]; quit: string }

test('poplib reads the maildrop over plain POP3 on loopback: STAT, LIST, UIDL, RETR un-stuffed, TOP', async () => {
  const r = await python(POPLIB, ['plain', f.port]) as PoplibResult;
  assert.match(r.welcome, /^\+OK /);
  assert.ok(['TOP', 'UIDL', 'USER', 'SASL', 'STLS', 'PIPELINING', 'RESP-CODES'].every((c) => r.capa.includes(c)), r.capa.join(' '));
  const sizes = [crlf(FIRST).length, crlf(SECOND).length];
  assert.deepEqual(r.stat, [2, sizes[0]! + sizes[1]!]);
  assert.deepEqual(r.list, [`1 ${sizes[0]}`, `2 ${sizes[1]}`]);
  assert.deepEqual(r.uidl, [`1 ${ids[0]}`, `2 ${ids[1]}`]);
  assert.deepEqual(r.retr1, FIRST.split('\n').slice(0, -1), 'poplib removes the byte-stuffing and gets the exact lines');
  assert.deepEqual(r.top2, ['From: dave@example.org', 'Subject: second', '', 'line 1']);
  assert.match(r.quit, /^\+OK/);
});

test('poplib upgrades with stls() and logs in over TLS', async () => {
  const r = await python(POPLIB, ['stls', f.port]) as PoplibResult;
  assert.equal(r.stat[0], 2);
  assert.ok(!r.capa.includes('STLS'), 'after STLS the CAPA asked over TLS no longer offers it');
  assert.ok(r.capa.includes('USER'));
});

test('poplib POP3_SSL logs in on the implicit-TLS port and its DELE takes effect at QUIT', async () => {
  const extra = await f.deliver('alice', 'Subject: to delete\n\nbye\n');
  const r = await python(POPLIB, ['ssl', f.tlsPort, 3]) as PoplibResult;
  assert.equal(r.stat[0], 3);
  assert.ok(!r.capa.includes('STLS'), 'no STLS on a connection that already uses TLS');
  assert.match(r.quit, /1 messages deleted/);
  assert.ok(!(await listMaildir(f.maildir('alice'))).some((m) => m.id === extra.id));
});

test('curl lists the maildrop and retrieves message 2 by number over pop3://', async () => {
  const list = await run('curl', ['-s', '--max-time', '10', '-u', 'alice@demo.test:wonderland', `pop3://127.0.0.1:${f.port}/`]);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(list.stdout.trim().split(/\r?\n/), [`1 ${crlf(FIRST).length}`, `2 ${crlf(SECOND).length}`]);
  const msg = await run('curl', ['-s', '--max-time', '10', '-u', 'alice@demo.test:wonderland', `pop3://127.0.0.1:${f.port}/2`]);
  assert.equal(msg.code, 0, msg.stderr);
  assert.equal(msg.stdout, crlf(SECOND));
});

test('curl --ssl-reqd upgrades pop3:// with STLS; pop3s:// -k uses implicit TLS', async () => {
  const stls = await run('curl', ['-s', '-k', '--ssl-reqd', '--max-time', '10', '-u', 'alice@demo.test:wonderland', `pop3://127.0.0.1:${f.port}/1`]);
  assert.equal(stls.code, 0, stls.stderr);
  assert.equal(stls.stdout, crlf(FIRST));
  const pop3s = await run('curl', ['-s', '-k', '--max-time', '10', '-u', 'alice@demo.test:wonderland', `pop3s://127.0.0.1:${f.tlsPort}/1`]);
  assert.equal(pop3s.code, 0, pop3s.stderr);
  assert.equal(pop3s.stdout, crlf(FIRST));
});

test('curl reports a login failure for a wrong password', async () => {
  const r = await run('curl', ['-s', '--max-time', '10', '-u', 'alice@demo.test:wrong', `pop3://127.0.0.1:${f.port}/`]);
  assert.equal(r.code, 67, `curl exit ${r.code}: ${r.stderr}`); // CURLE_LOGIN_DENIED
});
