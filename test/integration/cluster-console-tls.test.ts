// The console over TLS on a one-node cluster: HSTS, a Secure __Host- cookie, a login and a
// page over HTTPS; a node whose console is open in a live stream still stops cleanly on
// SIGTERM; and a console that cannot start (certificate missing) leaves the node running
// with a console.failed event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { eventually } from '../helpers/cluster.ts';
import { makeConsoleCluster, ADMIN } from './cluster-console-harness.ts';

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; text: string }

/** One HTTPS request trusting only `ca`; the response body is read unless `keepOpen`. */
function https(url: string, ca: string, init: { method?: string; headers?: Record<string, string>; body?: string; keepOpen?: boolean } = {}): Promise<Answer & { close(): void }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers, ca, timeout: 30_000 }, (res) => {
      const answer = { status: res.statusCode ?? 0, headers: res.headers, text: '', close: () => res.destroy() };
      if (init.keepOpen) { resolve(answer); return; }
      res.setEncoding('utf8');
      res.on('data', (c: string) => { answer.text += c; });
      res.on('end', () => resolve(answer));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.end(init.body);
  });
}

test('over TLS: HSTS, a Secure __Host- cookie, login and page; SIGTERM ends open live streams and the node exits cleanly', async () => {
  let ca = '';
  const c = await makeConsoleCluster({
    nodes: 1,
    console: async (h) => {
      const address = h.nodes[0]!.address;
      const pems = await generate([{ name: 'commonName', value: 'sv1.test' }], { keySize: 2048, algorithm: 'sha256', extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: address }] }] });
      writeFileSync(join(h.dir, 'console.crt'), pems.cert);
      writeFileSync(join(h.dir, 'console.key'), pems.private, { mode: 0o600 });
      ca = pems.cert;
      return { tls: { cert: join(h.dir, 'console.crt'), key: join(h.dir, 'console.key') } };
    },
  });
  try {
    await c.h.start('sv1');
    const base = c.base('sv1');
    assert.match(base, /^https:/);
    const form = await https(`${base}/login`, ca);
    assert.equal(form.status, 200);
    assert.equal(form.headers['strict-transport-security'], 'max-age=31536000');
    const loginCookie = (form.headers['set-cookie'] ?? [])[0] ?? '';
    assert.match(loginCookie, /^__Host-tandem-console-login-sv1=.*; Path=\/; HttpOnly; Secure; SameSite=Strict/);
    const token = /name="_login" value="([^"]+)"/.exec(form.text)![1]!;
    const body = new URLSearchParams({ _login: token, user: ADMIN.name, password: ADMIN.password }).toString();
    const login = await https(`${base}/login`, ca, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie.split(';')[0]! } });
    assert.equal(login.status, 303, login.text);
    const session = (login.headers['set-cookie'] as string[]).find((l) => l.startsWith('__Host-tandem-console-sv1='));
    assert.ok(session, 'the session cookie has the __Host- prefix');
    assert.match(session, /HttpOnly/);
    assert.match(session, /Secure/);
    assert.match(session, /SameSite=Strict/);
    const cookie = session.split(';')[0]!;
    const page = await https(`${base}/`, ca, { headers: { cookie } });
    assert.equal(page.status, 200);
    assert.match(page.text, /Group mail/);
    // Plain HTTP on the TLS port gets nowhere.
    const plain = await fetch(`${base.replace('https:', 'http:')}/login`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.status, () => 'no answer');
    assert.ok(plain === 'no answer' || (typeof plain === 'number' && plain >= 400), `plain HTTP on the TLS port: ${plain}`);

    // Two live streams open, then SIGTERM: the daemon ends them and exits by itself (0).
    const streams = await Promise.all([1, 2].map(() => https(`${base}/live`, ca, { headers: { cookie }, keepOpen: true })));
    for (const s of streams) assert.equal(s.status, 200);
    const proc = c.h.running.get('sv1')!.proc;
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    await c.h.stop('sv1');
    assert.equal(await exited, 0, 'the daemon exited on its own, not killed after the grace time');
    for (const s of streams) s.close();
  } finally {
    await c.h.cleanup();
  }
});

test('a console that cannot start (no certificate) leaves the node running, with a console.failed event', async () => {
  const c = await makeConsoleCluster({ nodes: 1, console: (h) => ({ tls: { cert: join(h.dir, 'missing.crt'), key: join(h.dir, 'missing.key') } }) });
  try {
    await c.h.start('sv1');
    await eventually('the console.failed event', () => c.h.events('sv1').find((e) => e.kind === 'console.failed'), 20_000);
    const failed = c.h.events('sv1').find((e) => e.kind === 'console.failed')!;
    assert.match(failed.message, /console of sv1 not started: cannot read .*missing\.crt; the node runs without it/);
    assert.equal(failed.level, 'error');
    await eventually('the group still starts', async () => (await c.h.status('sv1')).groups[0]!.holder === 'sv1', 30_000);
  } finally {
    await c.h.cleanup();
  }
});
