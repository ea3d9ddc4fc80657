// Tests for SASL PLAIN decoding and the CAPA list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePlain, encodePlain } from './sasl-plain.ts';
import { capabilities } from './capa.ts';

test('decodePlain() reads authzid, user and password (RFC 4616)', () => {
  assert.deepEqual(decodePlain(encodePlain('alice@demo.test', 'wonder land')), { authzid: '', username: 'alice@demo.test', password: 'wonder land' });
  assert.deepEqual(decodePlain(encodePlain('u', 'p', 'admin')), { authzid: 'admin', username: 'u', password: 'p' });
  for (const bad of ['not base64!', 'YWJj', '=', Buffer.from('\0\0').toString('base64'), Buffer.from('a\0b').toString('base64')]) {
    assert.ok('error' in decodePlain(bad), bad);
  }
});

test('capabilities() hides USER, SASL and STLS where they cannot be used (RFC 2449, RFC 2595)', () => {
  const base = { implementation: 'Tandem', inTransaction: false };
  assert.deepEqual(capabilities({ ...base, canStartTls: true, plaintextAuthAllowed: false }),
    ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING', 'STLS', 'EXPIRE NEVER', 'IMPLEMENTATION Tandem']);
  assert.ok(capabilities({ ...base, canStartTls: false, plaintextAuthAllowed: true }).includes('SASL PLAIN'));
  const inTx = capabilities({ ...base, inTransaction: true, canStartTls: false, plaintextAuthAllowed: true });
  assert.ok(!inTx.includes('USER') && !inTx.includes('STLS'));
});
