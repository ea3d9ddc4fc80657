// The admin JSON API against the real http service process: bearer-token auth (missing,
// wrong, revoked, throttled), every route of the OpenAPI document, zod validation
// errors as 400 with a reason, and the queue, log and services operations.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWebStack, WebClient, type WebStack } from '../helpers/browser.ts';
import { runTandem } from '../helpers/process.ts';
import { enqueueMessage } from '../../src/mail/queue/spool.ts';

let stack: WebStack;
let token: string;
let logDir: string;

before(async () => {
  logDir = mkdtempSync(join(tmpdir(), 'tandem-logs-'));
  stack = await startWebStack({ logDir, settings: { auth: { allowPlaintextOnLoopback: true, maxFailuresPerIp: 4, maxFailuresPerUser: 5 } } });
  const made = runTandem(['mail', 'admin', 'token', 'create', 'api test', '--data', stack.vol.root]);
  assert.equal(made.code, 0, made.stderr);
  token = made.stdout.trim();
  assert.match(token, /^tdm_[a-f0-9]{16}_[A-Za-z0-9_-]{43}$/);
});
after(async () => {
  await stack?.close();
  rmSync(logDir, { recursive: true, force: true });
});

async function api(method: string, path: string, body?: unknown, auth: string | null = token): Promise<{ status: number; json: unknown; headers: Headers }> {
  const res = await fetch(`${stack.base}${path}`, {
    method,
    headers: { ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? null : JSON.parse(text), headers: res.headers };
}

type Obj = Record<string, unknown>;

test('the openapi document is served without a token; everything else needs a valid one', async () => {
  const doc = await api('GET', '/api/v1/openapi.json', undefined, null);
  assert.equal(doc.status, 200);
  assert.equal((doc.json as Obj).openapi, '3.1.0');
  const none = await api('GET', '/api/v1/domains', undefined, null);
  assert.equal(none.status, 401);
  assert.equal((none.json as Obj).error, 'HTTP_ERR_UNAUTHORIZED');
  assert.match(String((none.json as Obj).message), /Authorization: Bearer/);
  assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
  const forged = token.slice(0, -4) + 'AAAA';
  assert.equal((await api('GET', '/api/v1/domains', undefined, forged)).status, 401);
  // A session cookie is not an API credential.
  const c = new WebClient(stack.base);
  assert.equal((await c.login('alice@demo.test', 'wonderland')).status, 303);
  assert.equal((await c.get('/api/v1/domains')).status, 401);
});

test('a revoked token stops working at once', async () => {
  const made = runTandem(['mail', 'admin', 'token', 'create', 'short-lived', '--data', stack.vol.root]);
  const t = made.stdout.trim();
  assert.equal((await api('GET', '/api/v1/domains', undefined, t)).status, 200);
  const id = /^tdm_([a-f0-9]{16})_/.exec(t)![1]!;
  const listed = runTandem(['mail', 'admin', 'token', 'list', '--json', '--data', stack.vol.root]);
  const rows = JSON.parse(listed.stdout) as Array<{ id: string; name: string; lastUsed: string | null }>;
  assert.ok(rows.some((r) => r.id === id && r.name === 'short-lived' && r.lastUsed !== null));
  assert.doesNotMatch(listed.stdout, new RegExp(t.slice(22)), 'the secret is never listed');
  assert.equal(runTandem(['mail', 'admin', 'token', 'revoke', id, '--data', stack.vol.root]).code, 0);
  assert.equal((await api('GET', '/api/v1/domains', undefined, t)).status, 401);
});

test('domains: add, show, catch-all, list, delete; bad input is a 400 with a reason', async () => {
  const add = await api('POST', '/api/v1/domains', { name: 'Example.ORG' });
  assert.equal(add.status, 201);
  assert.deepEqual(add.json, { name: 'example.org', catchall: null, users: 0, aliases: 0, lists: 0, primary: false });
  assert.equal((await api('POST', '/api/v1/domains', { name: 'example.org' })).status, 409);
  const bad = await api('POST', '/api/v1/domains', { name: 'not a domain!' });
  assert.equal(bad.status, 400);
  assert.match(String((bad.json as Obj).message), /not a valid domain/);
  const extra = await api('POST', '/api/v1/domains', { name: 'x.org', evil: true });
  assert.equal(extra.status, 400);
  assert.equal((extra.json as Obj).error, 'HTTP_ERR_INVALID');
  assert.match(String((extra.json as Obj).message), /evil/);
  const wrongType = await api('POST', '/api/v1/domains', { name: 42 });
  assert.equal(wrongType.status, 400);
  assert.match(String((wrongType.json as Obj).message), /^name: /);
  assert.equal((await api('GET', '/api/v1/domains/example.org')).status, 200);
  const ca = await api('PUT', '/api/v1/domains/example.org/catchall', { target: 'alice@demo.test' });
  assert.equal((ca.json as Obj).catchall, 'alice@demo.test');
  assert.equal(((await api('PUT', '/api/v1/domains/example.org/catchall', { target: null })).json as Obj).catchall, null);
  const list = (await api('GET', '/api/v1/domains')).json as Obj[];
  assert.deepEqual(list.map((d) => d.name), ['demo.test', 'example.org']);
  assert.equal((await api('DELETE', '/api/v1/domains/demo.test')).status, 409, 'primary domain');
  assert.equal((await api('DELETE', '/api/v1/domains/example.org')).status, 204);
  const gone = await api('GET', '/api/v1/domains/example.org');
  assert.equal(gone.status, 404);
  assert.equal((gone.json as Obj).error, 'MAIL_ERR_NOT_FOUND');
});

test('users: create (with the password rule), show, update, admin flag, reset password, delete', async () => {
  const weak = await api('POST', '/api/v1/users', { address: 'dave@demo.test', password: 'short' });
  assert.equal(weak.status, 400);
  assert.match(String((weak.json as Obj).message), /at least 10/);
  const made = await api('POST', '/api/v1/users', { address: 'Dave@demo.test', password: 'tr0ub4dor-horse', displayName: 'Dave', quotaBytes: 1048576 });
  assert.equal(made.status, 201);
  assert.equal((made.json as Obj).address, 'dave@demo.test');
  assert.equal((made.json as Obj).admin, false);
  assert.equal((await api('POST', '/api/v1/users', { address: 'dave@demo.test', password: 'tr0ub4dor-horse' })).status, 409);
  assert.equal((await api('POST', '/api/v1/users', { address: 'x@nowhere.test', password: 'long-enough' })).status, 404);
  const upd = await api('PATCH', '/api/v1/users/dave@demo.test', { displayName: 'David', enabled: false, admin: true });
  assert.equal(upd.status, 200);
  assert.deepEqual([(upd.json as Obj).displayName, (upd.json as Obj).enabled, (upd.json as Obj).admin], ['David', false, true]);
  const shown = (await api('GET', '/api/v1/users/dave@demo.test')).json as Obj;
  assert.equal(shown.quotaBytes, 1048576);
  const listed = (await api('GET', '/api/v1/users?domain=demo.test')).json as Obj[];
  assert.ok(listed.some((u) => u.address === 'dave@demo.test'));
  assert.equal((await api('GET', '/api/v1/users?bogus=1')).status, 400);
  await api('PATCH', '/api/v1/users/dave@demo.test', { enabled: true });
  assert.equal((await api('PUT', '/api/v1/users/dave@demo.test/password', { password: 'another-password' })).status, 204);
  const c = new WebClient(stack.base);
  assert.equal((await c.login('dave@demo.test', 'another-password')).status, 303);
  assert.equal((await c.get('/admin')).status, 200, 'the admin flag opens the console');
  assert.equal((await api('DELETE', '/api/v1/users/dave@demo.test')).status, 204);
  assert.equal((await api('GET', '/api/v1/users/dave@demo.test')).status, 404);
  assert.equal((await c.get('/mail')).status, 303, 'a deleted user\'s session ends');
});

test('aliases and lists: create, show, members and moderators, policy, delete', async () => {
  const alias = await api('POST', '/api/v1/aliases', { address: 'info@demo.test', targets: ['alice@demo.test', 'bob@demo.test'] });
  assert.equal(alias.status, 201);
  assert.deepEqual((await api('GET', '/api/v1/aliases/info@demo.test')).json, { address: 'info@demo.test', targets: ['alice@demo.test', 'bob@demo.test'] });
  assert.equal(((await api('GET', '/api/v1/aliases')).json as Obj[]).length, 1);
  assert.equal((await api('POST', '/api/v1/aliases', { address: 'none@demo.test', targets: [] })).status, 400);
  assert.equal((await api('DELETE', '/api/v1/aliases/info@demo.test')).status, 204);
  assert.equal((await api('DELETE', '/api/v1/aliases/info@demo.test')).status, 404);

  assert.equal((await api('POST', '/api/v1/lists', { address: 'team@demo.test', description: 'the team' })).status, 201);
  assert.equal((await api('PUT', '/api/v1/lists/team@demo.test/members/alice@demo.test', { role: 'moderator' })).status, 200);
  const withBob = await api('PUT', '/api/v1/lists/team@demo.test/members/bob@demo.test', {});
  assert.deepEqual((withBob.json as { members: unknown[] }).members, [{ address: 'alice@demo.test', role: 'moderator' }, { address: 'bob@demo.test', role: 'member' }]);
  const pol = await api('PATCH', '/api/v1/lists/team@demo.test', { posting: 'moderators', replyTo: 'list' });
  assert.deepEqual([(pol.json as Obj).posting, (pol.json as Obj).replyTo], ['moderators', 'list']);
  assert.equal((await api('PATCH', '/api/v1/lists/team@demo.test', { posting: 'everybody' })).status, 400);
  assert.equal((await api('DELETE', '/api/v1/lists/team@demo.test/members/bob@demo.test')).status, 204);
  assert.equal(((await api('GET', '/api/v1/lists/team@demo.test')).json as { members: unknown[] }).members.length, 1);
  assert.equal(((await api('GET', '/api/v1/lists')).json as Obj[]).length, 1);
  assert.equal((await api('DELETE', '/api/v1/lists/team@demo.test')).status, 204);
  assert.equal((await api('GET', '/api/v1/lists/team@demo.test')).status, 404);
});

test('queue: list, show, flush, delete with a DSN; unknown or malformed ids are 404', async () => {
  const entry = await enqueueMessage(stack.vol.layout.queueDir, {
    sender: 'alice@demo.test', recipients: ['someone@remote.example'],
    data: Buffer.from('From: alice@demo.test\r\nTo: someone@remote.example\r\nSubject: stuck\r\n\r\nbody\r\n'),
  });
  const list = (await api('GET', '/api/v1/queue')).json as { total: number; entries: Obj[] };
  assert.equal(list.total, 1);
  assert.equal(list.entries[0]!.id, entry.id);
  const shown = (await api('GET', `/api/v1/queue/${entry.id}`)).json as Obj;
  assert.equal(shown.sender, 'alice@demo.test');
  assert.equal(shown.pending, 1);
  const flushed = (await api('POST', '/api/v1/queue/flush', { id: entry.id })).json as { flushed: string[] };
  assert.deepEqual(flushed.flushed, [entry.id]);
  assert.equal((await api('POST', '/api/v1/queue/flush', {})).status, 200);
  assert.equal((await api('GET', '/api/v1/queue/..%2F..%2Fetc%2Fpasswd')).status, 404);
  assert.equal((await api('GET', '/api/v1/queue/nope')).status, 404);
  const del = await api('DELETE', `/api/v1/queue/${entry.id}?bounce=true`);
  assert.equal(del.status, 200);
  assert.ok((del.json as { dsnId: string | null }).dsnId, 'a DSN was made for the sender');
  assert.equal((await api('GET', `/api/v1/queue/${entry.id}`)).status, 404);
});

test('log: recent events from the services\' log files, filtered and newest first; services: listener states', async () => {
  const line = (t: string, event: string, extra: Obj) => JSON.stringify({ level: 30, time: t, pid: 1, component: 'smtp', event, ...extra });
  writeFileSync(join(logDir, 'smtp.log'), [
    line('2026-01-01T10:00:00.000Z', 'smtp.message', { id: 'm1', sender: 'bob@demo.test' }),
    line('2026-01-01T10:00:01.000Z', 'queue.attempt', { queueId: 'q1', recipient: 'x@remote.example' }),
    'not json: a crash trace',
    line('2026-01-01T10:00:02.000Z', 'delivery.queued', { queueId: 'q1' }),
  ].join('\n') + '\n');
  const all = (await api('GET', '/api/v1/log?service=smtp')).json as { configured: boolean; lines: Obj[] };
  assert.equal(all.configured, true);
  assert.deepEqual(all.lines.filter((l) => l.event !== '').map((l) => l.event), ['delivery.queued', 'queue.attempt', 'smtp.message']);
  const q = (await api('GET', '/api/v1/log?event=queue.&limit=10')).json as { lines: Obj[] };
  assert.deepEqual(q.lines.map((l) => (l.fields as Obj).queueId), ['q1']);
  assert.equal((await api('GET', '/api/v1/log?service=../../etc')).status, 400);
  assert.equal((await api('GET', '/api/v1/log?limit=0')).status, 400);
  const svc = (await api('GET', '/api/v1/services')).json as { listeners: Obj[]; restart: Obj };
  const http = svc.listeners.find((l) => l.listener === 'http')!;
  assert.equal(http.answering, true);
  assert.equal(svc.listeners.find((l) => l.listener === 'pop3')!.port, null);
  assert.equal(svc.restart.available, false);
  assert.match(String(svc.restart.reason), /cluster/);
});

test('an unknown API path is a JSON 404; bad tokens from one IP are throttled', async () => {
  const r = await api('GET', '/api/v1/nothing-here');
  assert.equal(r.status, 404);
  assert.equal((r.json as Obj).error, 'HTTP_ERR_NO_ROUTE');
  let last = 0;
  for (let i = 0; i < 6; i++) last = (await api('GET', '/api/v1/domains', undefined, `tdm_0000000000000000_${'A'.repeat(43)}`)).status;
  assert.equal(last, 429);
  const blocked = await api('GET', '/api/v1/domains');
  assert.equal(blocked.status, 429, 'even a good token waits: the IP is throttled');
});
