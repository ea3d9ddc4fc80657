// The cluster console over HTTP, against two real node daemons: login required, wrong
// passwords, throttling, the login and CSRF tokens, cross-site posts, the security
// headers, operations acting cluster-wide from sv2's console (and refused with the
// policy's reason), the live stream, logout; the signed API stays closed to the console's
// cookies, and peers never see the users' password hashes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { eventually } from '../helpers/cluster.ts';
import { makeConsoleCluster, startOnHome, ConsoleClient, ADMIN, OPERATOR, type ConsoleCluster } from './cluster-console-harness.ts';

let c: ConsoleCluster;

before(async () => {
  c = await makeConsoleCluster({ console: () => ({ login: { maxFailuresPerUser: 3, maxFailuresPerIp: 8, windowSeconds: 300 } }) });
  await startOnHome(c);
});
after(async () => { await c?.h.cleanup(); });

const holderIs = (node: string) => eventually(`mail online on ${node}`, async () => {
  const g = (await c.h.status('sv1')).groups[0]!;
  return g.holder === node && g.resources[node]?.app === 'running';
}, 40_000);

test('nothing but the login page without a session; strict CSP and no inline script', async () => {
  const anon = new ConsoleClient(c.base('sv2'));
  const root = await anon.get('/');
  assert.equal(root.status, 303);
  assert.equal(root.location, '/login');
  assert.equal((await anon.get('/live')).status, 401);
  assert.equal((await anon.get('/api/status')).status, 404, 'the console port serves no API');
  const op = await anon.post('/group/mail/stop', { _csrf: 'x' }, { accept: 'application/json' });
  assert.equal(op.status, 401);
  assert.match(op.text, /not logged in/);

  const login = await anon.get('/login');
  assert.equal(login.status, 200);
  const csp = login.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(login.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(login.headers.get('x-frame-options'), 'DENY');
  assert.equal(login.headers.get('strict-transport-security'), null, 'no HSTS over plain HTTP');
  assert.doesNotMatch(login.text, /<script(?![^>]*\bsrc=)/, 'no inline script');
  assert.doesNotMatch(login.text, /\son[a-z]+=/i, 'no inline event handler');
  // The console's cookie never opens the signed API, and the API port serves no console.
  assert.equal((await fetch(`http://${c.h.nodes[1]!.address}:${c.h.nodes[1]!.port}/`)).status, 401);
});

test('wrong passwords, the login form token, and throttling per user', async () => {
  const client = new ConsoleClient(c.base('sv2'));
  const wrong = await client.loginAs(ADMIN.name, 'not-the-password');
  assert.equal(wrong.status, 401);
  assert.match(wrong.text, /Wrong user or password/);
  const unknown = await client.loginAs('nobody', ADMIN.password);
  assert.equal(unknown.status, 401, 'another user\'s password does not open an unknown name');
  const noToken = await client.post('/login', { user: ADMIN.name, password: ADMIN.password });
  assert.equal(noToken.status, 403);
  assert.match(noToken.text, /login form expired/);

  for (let i = 0; i < 3; i++) assert.equal((await client.loginAs(OPERATOR.name, `guess-${i}`)).status, 401);
  const blocked = await client.loginAs(OPERATOR.name, OPERATOR.password);
  assert.equal(blocked.status, 429, 'the right password waits too once the user is throttled');
  assert.match(blocked.text, /Too many failed logins; try again in \d+ seconds/);
  assert.ok(Number(blocked.headers.get('retry-after')) > 0);
  // Another user from the same address is not locked out by operator's failures.
  const ok = await client.loginAs(ADMIN.name, ADMIN.password);
  assert.equal(ok.status, 303);
  // The event log is written behind the reply: poll the file.
  await eventually('the login events in sv2\'s log', () => {
    const events = c.h.events('sv2');
    return events.some((e) => e.kind === 'console.login-failed') && events.some((e) => e.kind === 'console.login' && /admin logged in on sv2/.test(e.message));
  }, 10_000);
});

test('a session: cookie flags, CSRF and cross-site checks, operations cluster-wide, refusals with the reason, live stream, logout', async () => {
  const client = new ConsoleClient(c.base('sv2'));
  const login = await client.loginAs(ADMIN.name, ADMIN.password);
  assert.equal(login.status, 303);
  assert.equal(login.location, '/');
  const cookie = login.headers.getSetCookie().find((l) => l.startsWith('tandem-console-sv2='));
  assert.ok(cookie, 'session cookie set');
  assert.match(cookie, /HttpOnly/i);
  assert.match(cookie, /SameSite=Strict/i);
  assert.doesNotMatch(cookie, /Secure/i, 'plain HTTP on loopback: not Secure');

  const page = await client.get('/');
  assert.equal(page.status, 200);
  assert.match(page.text, /Group mail/);
  assert.match(page.text, /data-phase="online" data-holder="sv1"/);
  assert.match(page.text, /id="node-sv1" data-state="up"/);
  const csrf = await client.token();

  // CSRF: no token, a wrong one, a foreign origin.
  assert.equal((await client.post('/group/mail/move', { to: 'sv2' })).status, 403);
  const wrongToken = await client.post('/group/mail/move', { to: 'sv2', _csrf: `${csrf}x` }, { accept: 'application/json' });
  assert.equal(wrongToken.status, 403);
  assert.match(wrongToken.text, /CSRF check failed/);
  const foreign = await client.post('/group/mail/move', { to: 'sv2', _csrf: csrf }, { origin: 'http://evil.example' });
  assert.equal(foreign.status, 403);
  assert.match(foreign.text, /cross-site request refused/);
  assert.equal((await c.h.status('sv1')).groups[0]!.holder, 'sv1', 'nothing moved');

  // The live stream: the first message has every section.
  const ac = new AbortController();
  const live = await fetch(`${c.base('sv2')}/live`, { headers: { cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ') }, signal: ac.signal });
  assert.equal(live.status, 200);
  assert.match(live.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = live.body!.getReader();
  let streamed = '';
  const readUntil = (what: RegExp) => eventually(`the live stream to show ${what}`, async () => {
    const { value } = await reader.read();
    streamed += new TextDecoder().decode(value);
    return what.test(streamed.replaceAll('\\"', '"'));
  }, 40_000, 0);
  await readUntil(/event: sections\ndata: \{"summary":.*"nodes":.*"groups":.*"events":/);

  // A move from sv2's console acts cluster-wide (sv1 stops, sv2 starts), as the CLI does.
  const moved = await client.operate('/group/mail/move', { to: 'sv2', _csrf: csrf });
  assert.equal(moved.status, 200, JSON.stringify(moved.body));
  assert.match(moved.body.message ?? '', /group mail: moving to sv2/);
  await holderIs('sv2');
  await readUntil(/data-phase=\\?"online\\?" data-holder=\\?"sv2\\?"/);
  ac.abort();
  await eventually('the operation in sv2\'s log', () => c.h.events('sv2').some((e) => e.kind === 'console.operation' && /console user admin on sv2: group mail: moving to sv2/.test(e.message)), 10_000);

  // Refused with the policy's reason: an unknown node, a node whose cluster service is stopped.
  const nosuch = await client.operate('/group/mail/move', { to: 'nosuch', _csrf: csrf });
  assert.equal(nosuch.status, 400);
  assert.match(nosuch.body.error ?? '', /nosuch is not in group mail's node list/);
  await c.h.api('sv1', 'POST', '/api/cluster/stop');
  await eventually('sv2 sees sv1 stopped', async () => (await c.h.status('sv2')).nodes.find((n) => n.name === 'sv1')!.stopped, 20_000);
  const refused = await client.operate('/group/mail/move', { to: 'sv1', _csrf: csrf });
  assert.equal(refused.status, 409);
  assert.match(refused.body.error ?? '', /move of group mail to sv1 refused: sv1's cluster service is stopped/);
  // The same refusal as a plain form post: back to the page, which shows it.
  const plain = await client.post('/group/mail/move', { to: 'sv1', _csrf: csrf });
  assert.equal(plain.status, 303);
  assert.match((await client.get('/')).text, /class="flash bad">move of group mail to sv1 refused/);
  await c.h.api('sv1', 'POST', '/api/cluster/start');

  // Suspend and resume the monitors of a resource, cluster-wide.
  const suspended = await client.operate('/monitor/suspend', { name: 'app', _csrf: csrf });
  assert.equal(suspended.status, 200, JSON.stringify(suspended.body));
  await eventually('sv1 sees app suspended', async () => (await c.h.status('sv1')).groups[0]!.suspended.includes('app'), 20_000);
  assert.match((await client.get('/')).text, /mon-suspended">suspended/);
  const resumed = await client.operate('/monitor/resume', { name: 'app', _csrf: csrf });
  assert.equal(resumed.status, 200);
  await eventually('sv1 sees app resumed', async () => (await c.h.status('sv1')).groups[0]!.suspended.length === 0, 20_000);
  assert.equal((await client.operate('/monitor/suspend', { name: 'nosuch', _csrf: csrf })).status, 404);

  // Logout needs the token, ends the session on the server.
  assert.equal((await client.post('/logout', {})).status, 403);
  const out = await client.post('/logout', { _csrf: csrf });
  assert.equal(out.status, 303);
  assert.equal((await client.get('/')).status, 303);
});

test('peers see console users without their password hashes', async () => {
  const peer = await c.h.api<{ config: { console: { users: Array<{ name: string; passwordHash: string }> } } }>('sv1', 'GET', '/peer/config');
  assert.deepEqual(peer.config.console.users.map((u) => u.name), [ADMIN.name, OPERATOR.name]);
  for (const u of peer.config.console.users) assert.match(u.passwordHash, /^\(hash [0-9a-f]{12}\)$/);
});

test('live streams are bounded per node, and a closed one frees its place', async () => {
  const client = new ConsoleClient(c.base('sv1'));
  assert.equal((await client.loginAs(ADMIN.name, ADMIN.password)).status, 303);
  const cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const open = async () => {
    const ac = new AbortController();
    const r = await fetch(`${c.base('sv1')}/live`, { headers: { cookie }, signal: ac.signal });
    return { status: r.status, text: r.status === 200 ? '' : await r.text(), close: () => ac.abort() };
  };
  const streams = [];
  try {
    for (let i = 0; i < 32; i++) streams.push(await open());
    assert.deepEqual(new Set(streams.map((s) => s.status)), new Set([200]));
    const refused = await open();
    assert.equal(refused.status, 503);
    assert.match(refused.text, /too many live consoles open on sv1 \(32\)/);
    streams.pop()!.close();
    const again = await eventually('a place for a new stream', async () => {
      const s = await open();
      if (s.status === 200) return s;
      return null;
    }, 10_000, 200);
    streams.push(again);
  } finally {
    for (const s of streams) s.close();
  }
});

test('a node whose configuration differs shows DIFFERS with the differing fields', async () => {
  const file = c.h.configPath('sv2');
  const config = JSON.parse(readFileSync(file, 'utf8')) as { groups: Array<Record<string, unknown>> };
  config.groups[0]!.failbackDelay = 45_000;
  writeFileSync(file, JSON.stringify(config));
  await c.h.stop('sv2');
  await c.h.start('sv2');
  const client = new ConsoleClient(c.base('sv1'));
  assert.equal((await client.loginAs(ADMIN.name, ADMIN.password)).status, 303);
  const row = await eventually('sv2 shown with its differences', async () => {
    const page = await client.get('/');
    const tr = /<tr id="node-sv2"[\s\S]*?<\/tr>/.exec(page.text)?.[0] ?? '';
    return /DIFFERS/.test(tr) && /groups\.mail\.failbackDelay: here 30000, there 45000/.test(tr) ? tr : null;
  }, 30_000, 500);
  assert.match(row, /may not run groups/);
});
