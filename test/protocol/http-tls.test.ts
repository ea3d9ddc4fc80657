// HTTPS with the volume's certificate on listen.https, and the cleartext rule: with
// plaintext logins not allowed (the production setting), the HTTP listener redirects GETs
// to https://HOSTNAME:PORT and refuses everything else, even from loopback.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { startWebStack, type WebStack } from '../helpers/browser.ts';

let stack: WebStack;

before(async () => {
  stack = await startWebStack({ settings: { auth: { allowPlaintextOnLoopback: false } } });
});
after(async () => { await stack?.close(); });

interface TlsResponse { status: number; headers: Record<string, string | string[] | undefined>; body: string; peerCert: string }

function httpsRequest(path: string, opts: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<TlsResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, stack.httpsBase);
    // The volume's certificate is self-signed for the mail host name: check it by content below.
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: opts.method ?? 'GET', rejectUnauthorized: false,
      headers: opts.headers ?? {}, timeout: 30_000 }, (res) => {
      let body = '';
      const cert = (res.socket as TLSSocket).getPeerX509Certificate();
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, peerCert: cert?.fingerprint256 ?? '' });
      });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(opts.body);
  });
}

test('HTTPS serves the volume\'s certificate; the session cookie is Secure with the __Host- prefix, plus HSTS', async () => {
  const page = await httpsRequest('/login');
  assert.equal(page.status, 200);
  const volumeCert = new X509Certificate(readFileSync(stack.vol.layout.cfgPath('tls/cert.pem')));
  assert.equal(page.peerCert, volumeCert.fingerprint256);
  assert.match(String(page.headers['strict-transport-security']), /max-age=\d+/);
  const loginCookie = ([] as string[]).concat(page.headers['set-cookie'] ?? []).find((c) => c.startsWith('tandem_login='))!;
  assert.match(loginCookie, /; Secure/);
  const token = /name="_login" value="([^"]+)"/.exec(page.body)![1]!;
  const res = await httpsRequest('/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie.split(';')[0]! },
    body: new URLSearchParams({ _login: token, address: 'alice@demo.test', password: 'wonderland', next: '/mail' }).toString(),
  });
  assert.equal(res.status, 303);
  const session = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('__Host-tandem='));
  assert.ok(session, JSON.stringify(res.headers['set-cookie']));
  assert.match(session, /; Secure/);
  assert.match(session, /; HttpOnly/);
  assert.match(session, /; SameSite=Strict/);
  assert.match(session, /; Path=\//);
  const inbox = await httpsRequest('/mail', { headers: { cookie: session.split(';')[0]! } });
  assert.equal(inbox.status, 200);
});

test('cleartext HTTP redirects pages to HTTPS on the mail host name and refuses logins and the API', async () => {
  const get = await fetch(`${stack.base}/mail?f=INBOX`, { redirect: 'manual' });
  assert.equal(get.status, 301);
  assert.equal(get.headers.get('location'), `https://mail.demo.test:${stack.http.port(1)}/mail?f=INBOX`);
  const post = await fetch(`${stack.base}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'address=alice%40demo.test&password=wonderland' });
  assert.equal(post.status, 403);
  assert.match(await post.text(), /use HTTPS/);
  const api = await fetch(`${stack.base}/api/v1/domains`, { headers: { authorization: 'Bearer tdm_x' } });
  assert.equal(api.status, 403);
  assert.equal(((await api.json()) as { error: string }).error, 'HTTP_ERR_TLS_REQUIRED');
});
