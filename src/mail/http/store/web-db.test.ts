// The web tables: sessions expire (idle and absolute) and are stored only as hashes,
// tokens verify only with their exact secret and stop at revocation, admins need a user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import BetterSqlite3 from 'better-sqlite3';
import { makeTestVolume } from '../../../../test/helpers/volume.ts';
import { WebDb } from './web-db.ts';

async function withDb(fn: (db: WebDb, file: string) => void | Promise<void>): Promise<void> {
  const vol = await makeTestVolume();
  const db = WebDb.open(vol.layout.accountsDb);
  try {
    await fn(db, vol.layout.accountsDb);
  } finally {
    db.close();
    vol.cleanup();
  }
}

test('a session lives until idle too long or past its maximum age; only its hash is stored', () => withDb((db, file) => {
  const t0 = 1_000_000;
  const s = db.createSession('Alice@demo.test', t0, 60_000);
  assert.equal(db.session(s.cookie, t0 + 10_000, 30_000)?.address, 'alice@demo.test');
  assert.equal(db.session(s.cookie, t0 + 10_000, 30_000)?.csrf, s.csrf);
  assert.equal(db.session('not-a-cookie', t0, 30_000), null);
  // Idle: last seen at t0 (writes of seen_at are spaced out), 30 s idle limit.
  assert.equal(db.session(s.cookie, t0 + 30_001, 30_000), null);
  assert.equal(db.session(s.cookie, t0 + 1, 30_000), null, 'an expired session is deleted, not just hidden');
  const long = db.createSession('alice@demo.test', t0, 60_000);
  for (let t = t0; t < t0 + 59_000; t += 20_000) assert.ok(db.session(long.cookie, t, 45_000), `alive at ${t - t0}`);
  assert.equal(db.session(long.cookie, t0 + 60_000, 45_000), null, 'absolute maximum');
  const raw = new BetterSqlite3(file, { readonly: true });
  const stored = raw.prepare('SELECT id_hash FROM web_sessions').all() as Array<{ id_hash: string }>;
  raw.close();
  assert.ok(stored.every((r) => r.id_hash !== s.cookie && r.id_hash !== long.cookie && /^[0-9a-f]{64}$/.test(r.id_hash)));
}));

test('endSessionsOf ends every session of a user but the one kept', () => withDb((db) => {
  const a = db.createSession('alice@demo.test', 0, 1e9);
  const b = db.createSession('alice@demo.test', 0, 1e9);
  const c = db.createSession('bob@demo.test', 0, 1e9);
  db.endSessionsOf('alice@demo.test', a.cookie);
  assert.ok(db.session(a.cookie, 1, 1e9));
  assert.equal(db.session(b.cookie, 1, 1e9), null);
  assert.ok(db.session(c.cookie, 1, 1e9));
}));

test('tokens verify with their exact secret only, and not after revocation', () => withDb((db) => {
  const t = db.createToken('ci');
  assert.deepEqual(db.verifyToken(t.token), { id: t.id, name: 'ci' });
  const last = t.token.at(-1) === 'A' ? 'B' : 'A';
  assert.equal(db.verifyToken(t.token.slice(0, -1) + last), null);
  assert.equal(db.verifyToken(`tdm_${t.id}_short`), null);
  assert.equal(db.verifyToken(''), null);
  assert.ok(db.listTokens()[0]!.lastUsedAt !== null);
  db.revokeToken(t.id);
  assert.equal(db.verifyToken(t.token), null);
  assert.throws(() => db.revokeToken(t.id), /no admin token/);
  assert.throws(() => db.createToken('  '), /1 to 100 characters/);
}));

test('the admin flag needs an existing user and goes with it', () => withDb((db) => {
  assert.throws(() => db.setAdmin('ghost@demo.test', true), /does not exist/);
  db.setAdmin('alice@demo.test', true);
  assert.deepEqual(db.listAdmins(), ['alice@demo.test']);
  db.setAdmin('alice@demo.test', false);
  assert.deepEqual(db.listAdmins(), []);
}));
