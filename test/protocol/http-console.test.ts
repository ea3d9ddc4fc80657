// The admin console over HTTP against the http service process: only admins get in,
// every action needs the CSRF token, failures come back to the page as an error line,
// and the pages reflect the directory, the queue, the log setting and the listeners.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWebStack, WebClient, type WebStack } from '../helpers/browser.ts';
import { runTandem } from '../helpers/process.ts';
import { enqueueMessage, listEntryIds } from '../../src/mail/queue/spool.ts';

let stack: WebStack;
let admin: WebClient;
let csrf: string;

before(async () => {
  stack = await startWebStack();
  assert.equal(runTandem(['mail', 'admin', 'grant', 'alice@demo.test', '--data', stack.vol.root]).code, 0);
  admin = new WebClient(stack.base);
  assert.equal((await admin.login('alice@demo.test', 'wonderland')).status, 303);
  csrf = await admin.csrf();
});
after(async () => { await stack?.close(); });

function act(op: string, form: Record<string, string>, back = '/admin') {
  return admin.post(`/admin/do/${op}`, { _csrf: csrf, _back: back, ...form });
}

const said = (r: { location: string | null }) => decodeURIComponent(r.location ?? '');

test('a user without the admin flag is refused with the way to get it; anonymous goes to login', async () => {
  const bob = new WebClient(stack.base);
  assert.equal((await bob.login('bob@demo.test', 'builder')).status, 303);
  const r = await bob.get('/admin/users');
  assert.equal(r.status, 403);
  assert.match(r.text, /bob@demo\.test is not an admin/);
  assert.match(r.text, /tandem mail admin grant bob@demo\.test/);
  const forged = await bob.post('/admin/do/domain-add', { _csrf: await bob.csrf(), name: 'bob.example' });
  assert.equal(forged.status, 403);
  assert.equal(stack.vol.directory.getDomain('bob.example'), null);
  const anon = await new WebClient(stack.base).get('/admin');
  assert.equal(anon.status, 303);
  assert.match(anon.location ?? '', /^\/login\?next=%2Fadmin/);
});

test('actions need the session CSRF token', async () => {
  const r = await admin.post('/admin/do/domain-add', { name: 'nocsrf.example' });
  assert.equal(r.status, 403);
  assert.equal(stack.vol.directory.getDomain('nocsrf.example'), null);
});

test('domains: add, catch-all, refused delete comes back as an error on the same page', async () => {
  const add = await act('domain-add', { name: 'example.net' }, '/admin/domains');
  assert.equal(add.status, 303);
  assert.match(said(add), /^\/admin\/domains\?notice=domain example\.net added/);
  assert.ok(stack.vol.directory.getDomain('example.net'));
  const ca = await act('domain-catchall', { name: 'example.net', target: 'alice@demo.test' });
  assert.equal(stack.vol.directory.getDomain('example.net')!.catchall, 'alice@demo.test');
  assert.equal(ca.status, 303);
  const primary = await act('domain-delete', { name: 'demo.test' }, '/admin/domains');
  assert.match(said(primary), /^\/admin\/domains\?error=demo\.test is the primary domain/);
  const page = await admin.get('/admin/domains?error=x');
  assert.match(page.text, /example\.net/);
});

test('users: create with the password policy, escape what admins type, edit, refuse self-disable, delete', async () => {
  const weak = await act('user-add', { address: 'frank@demo.test', password: 'frank' }, '/admin/users');
  assert.match(said(weak), /^\/admin\/users\?error=the password must be at least/);
  const made = await act('user-add', { address: 'frank@demo.test', password: 'Correct-Horse-7', displayName: '<script>alert(1)</script>', quota: '500M', admin: '1' });
  assert.match(said(made), /user frank@demo\.test created/);
  const u = stack.vol.directory.getUser('frank@demo.test')!;
  assert.equal(u.quotaBytes, 500 * 1024 * 1024);
  const list = await admin.get('/admin/users');
  assert.match(list.text, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.doesNotMatch(list.text, /<script>alert/);
  const upd = await act('user-update', { address: 'frank@demo.test', displayName: 'Frank', quota: '0', enabled: '1' });
  assert.match(said(upd), /saved/);
  assert.equal(stack.vol.directory.getUser('frank@demo.test')!.displayName, 'Frank');
  const self = await act('user-update', { address: 'alice@demo.test', displayName: 'Alice', quota: '0', admin: '1' }, '/admin/user?a=alice%40demo.test');
  assert.match(said(self), /error=you cannot disable yourself/);
  assert.equal(stack.vol.directory.getUser('alice@demo.test')!.enabled, true);
  const pw = await act('user-password', { address: 'frank@demo.test', password: 'Another-Horse-8' });
  assert.match(said(pw), /password of frank@demo\.test reset/);
  assert.ok(await stack.vol.directory.authenticate('frank@demo.test', 'Another-Horse-8'));
  const del = await act('user-delete', { address: 'frank@demo.test' });
  assert.match(said(del), /deleted/);
  assert.equal(stack.vol.directory.getUser('frank@demo.test'), null);
});

test('aliases and lists from the console', async () => {
  await act('alias-add', { address: 'sales@demo.test', targets: 'alice@demo.test, bob@demo.test' });
  assert.deepEqual(stack.vol.directory.getAlias('sales@demo.test')!.targets, ['alice@demo.test', 'bob@demo.test']);
  await act('list-add', { address: 'all@demo.test', description: 'everyone' });
  await act('list-member', { address: 'all@demo.test', member: 'bob@demo.test', role: 'moderator' });
  await act('list-update', { address: 'all@demo.test', description: 'everyone', posting: 'moderators', replyTo: 'list' });
  const l = stack.vol.directory.getList('all@demo.test')!;
  assert.deepEqual([l.posting, l.replyTo, l.members], ['moderators', 'list', [{ address: 'bob@demo.test', role: 'moderator' }]]);
  const bad = await act('list-update', { address: 'all@demo.test', posting: 'everybody', replyTo: 'list' }, '/admin/list?a=all%40demo.test');
  assert.match(said(bad), /^\/admin\/list\?a=all@demo\.test&error=posting must be/);
  assert.match((await admin.get('/admin/list?a=all%40demo.test')).text, /bob@demo\.test<\/td><td>moderator/);
  await act('list-member-remove', { address: 'all@demo.test', member: 'bob@demo.test' });
  await act('list-delete', { address: 'all@demo.test' });
  await act('alias-delete', { address: 'sales@demo.test' });
  assert.equal(stack.vol.directory.getList('all@demo.test'), null);
  assert.equal(stack.vol.directory.getAlias('sales@demo.test'), null);
});

test('queue, mail log and services pages', async () => {
  const e = await enqueueMessage(stack.vol.layout.queueDir, { sender: 'bob@demo.test', recipients: ['x@remote.example'], data: Buffer.from('Subject: q\r\n\r\nq\r\n') });
  const q = await admin.get('/admin/queue');
  assert.match(q.text, new RegExp(e.id));
  assert.match(q.text, /x@remote\.example/);
  const entry = await admin.get(`/admin/queue/entry?id=${e.id}`);
  assert.match(entry.text, /pending/);
  const fl = await act('queue-flush', { id: e.id });
  assert.match(said(fl), /1 entries due now/);
  const del = await act('queue-delete', { id: e.id });
  assert.match(said(del), /deleted/);
  assert.deepEqual(await listEntryIds(stack.vol.layout.queueDir), []);
  const log = await admin.get('/admin/log');
  assert.match(log.text, /mail log is not configured/);
  const svc = await admin.get('/admin/services');
  assert.match(svc.text, /<td>http<\/td><td>http<\/td><td>127\.0\.0\.1:0<\/td>\s*<td class="">answering/);
  assert.match(svc.text, /<button type="button" disabled title="restarts go through the cluster manager/);
});

test('tandem mail admin grant|list|revoke: revoking ends the admin\'s sessions at once', async () => {
  await stack.vol.directory.addUser({ address: 'gina@demo.test', password: 'Gina-Secret-42' });
  assert.equal(runTandem(['mail', 'admin', 'grant', 'nobody@demo.test', '--data', stack.vol.root]).code, 1);
  assert.equal(runTandem(['mail', 'admin', 'grant', 'gina@demo.test', '--data', stack.vol.root]).code, 0);
  const listed = runTandem(['mail', 'admin', 'list', '--json', '--data', stack.vol.root]);
  assert.deepEqual((JSON.parse(listed.stdout) as Array<{ address: string }>).map((r) => r.address), ['alice@demo.test', 'gina@demo.test']);
  const gina = new WebClient(stack.base);
  assert.equal((await gina.login('gina@demo.test', 'Gina-Secret-42')).status, 303);
  assert.equal((await gina.get('/admin/domains')).status, 200);
  const revoked = runTandem(['mail', 'admin', 'revoke', 'gina@demo.test', '--data', stack.vol.root]);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.equal((await gina.get('/admin/domains')).status, 303, 'session ended: back to the login page');
  assert.equal((await gina.login('gina@demo.test', 'Gina-Secret-42')).status, 303);
  assert.equal((await gina.get('/admin/domains')).status, 403);
});
