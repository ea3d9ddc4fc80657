// Tests for the CAPABILITY list per state (RFC 9051 6.1.1, 6.2.3; RFC 2595 3.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imapCapabilities } from './capabilities.ts';

test('a plain connection offers STARTTLS and LOGINDISABLED, no AUTH=', () => {
  const caps = imapCapabilities({ tls: false, startTlsAvailable: true, authenticated: false, mechanisms: ['PLAIN'] });
  assert.ok(caps.includes('STARTTLS') && caps.includes('LOGINDISABLED'));
  assert.ok(!caps.some((c) => c.startsWith('AUTH=')));
});

test('a TLS connection offers AUTH= mechanisms; after login the extensions appear', () => {
  const pre = imapCapabilities({ tls: true, startTlsAvailable: false, authenticated: false, mechanisms: ['plain'] });
  assert.deepEqual(pre.filter((c) => c.startsWith('AUTH=') || c === 'STARTTLS' || c === 'LOGINDISABLED'), ['AUTH=PLAIN']);
  assert.ok(!pre.includes('IDLE'));
  const post = imapCapabilities({ tls: true, startTlsAvailable: false, authenticated: true, mechanisms: ['PLAIN'], extra: ['SORT'] });
  for (const c of ['IMAP4rev2', 'IDLE', 'CONDSTORE', 'QRESYNC', 'MOVE', 'UIDPLUS', 'LIST-STATUS', 'SPECIAL-USE', 'QUOTA', 'SORT']) assert.ok(post.includes(c), c);
  assert.ok(!post.some((c) => c.startsWith('AUTH=')));
});
