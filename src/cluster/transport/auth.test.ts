import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveKeys, NonceCache, openDatagram, ReplayGuard, sealDatagram, signRequest, verifyRequest } from './auth.ts';

const keys = deriveKeys('c1', 'a-long-enough-cluster-secret');
const env = (over: Partial<{ from: string; boot: string; seq: number; ts: number }> = {}) => ({ from: 'sv1', boot: 'b', seq: 1, ts: 1_000_000, body: { x: 1 }, ...over });

test('datagrams: sealed ones open; any changed byte, another secret or another cluster fails', () => {
  const sealed = sealDatagram(keys, env());
  assert.ok(openDatagram(keys, sealed).ok);
  const tampered = Buffer.from(sealed.toString().replace('"x":1', '"x":2'));
  assert.deepEqual(openDatagram(keys, tampered), { ok: false, reason: 'bad signature' });
  assert.equal(openDatagram(deriveKeys('c1', 'another-secret-of-enough-length'), sealed).ok, false);
  assert.equal(openDatagram(deriveKeys('c2', 'a-long-enough-cluster-secret'), sealed).ok, false);
  assert.deepEqual(openDatagram(keys, Buffer.from('garbage')), { ok: false, reason: 'malformed datagram' });
});

test('ReplayGuard: seq must grow within a boot; a new boot must be fresh and newer', () => {
  const g = new ReplayGuard();
  const now = 1_000_000;
  assert.ok(g.check(env({ seq: 1 }), now).ok);
  assert.ok(g.check(env({ seq: 2 }), now).ok);
  assert.match((g.check(env({ seq: 2 }), now) as { reason: string }).reason, /replayed/);
  assert.match((g.check(env({ seq: 1 }), now) as { reason: string }).reason, /replayed/);
  assert.ok(g.check(env({ boot: 'c', seq: 1, ts: now + 10 }), now).ok, 'a restarted sender');
  assert.match((g.check(env({ boot: 'b', seq: 3, ts: now }), now) as { reason: string }).reason, /older boot/);
  assert.match((g.check(env({ boot: 'd', seq: 1, ts: now - 60_000 }), now) as { reason: string }).reason, /stale/);
  assert.ok(g.check(env({ from: 'sv2', seq: 1 }), now).ok, 'per sender');
});

test('requests: signed ones verify once; replay, stale time, other body or URL, no signature fail', () => {
  const nonces = new NonceCache();
  const now = 5_000_000;
  const body = JSON.stringify({ text: 'hi' });
  const h = signRequest(keys, 'POST', '/api/broadcast', 'cli', body, now);
  assert.deepEqual(verifyRequest(keys, nonces, 'POST', '/api/broadcast', h, body, now), { ok: true });
  assert.match((verifyRequest(keys, nonces, 'POST', '/api/broadcast', h, body, now) as { reason: string }).reason, /replayed/);
  const h2 = signRequest(keys, 'POST', '/api/broadcast', 'cli', body, now);
  assert.match((verifyRequest(keys, nonces, 'POST', '/api/broadcast', h2, '{"text":"other"}', now) as { reason: string }).reason, /bad signature/);
  assert.match((verifyRequest(keys, nonces, 'POST', '/api/cluster/stop', h2, body, now) as { reason: string }).reason, /bad signature/);
  assert.match((verifyRequest(keys, nonces, 'POST', '/api/broadcast', h2, body, now + 60_000) as { reason: string }).reason, /stale/);
  assert.match((verifyRequest(keys, nonces, 'GET', '/api/status', {}, '', now) as { reason: string }).reason, /not signed/);
  assert.ok(verifyRequest(keys, nonces, 'GET', '/api/status', { authorization: `Bearer ${keys.bearer}` }, '', now).ok);
  assert.equal(verifyRequest(keys, nonces, 'GET', '/api/status', { authorization: 'Bearer nope' }, '', now).ok, false);
});

test('NonceCache is bounded', () => {
  const c = new NonceCache(10);
  for (let i = 0; i < 10; i++) assert.ok(c.admit(`n${i}`, 0));
  assert.equal(c.admit('n10', 1), false, 'full: refuses rather than grows');
  assert.ok(c.admit('n11', 120_000), 'old entries are evicted once they are past the window');
});
