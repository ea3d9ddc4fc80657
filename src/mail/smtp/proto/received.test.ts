// Received and origination fields: exact text, and client-supplied names sanitised.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { receivedHeader, missingOriginationFields, rfc5322Date } from './received.ts';
import { buildBounce } from '../../delivery/message/bounce.ts';
import { REPLIES } from './reply.ts';
import { MemoryBudget } from '../server/memory-budget.ts';

const date = new Date(Date.UTC(2026, 10, 24, 18, 43, 7));

test('rfc5322Date() is RFC 5322 in UTC', () => {
  assert.equal(rfc5322Date(date), 'Tue, 24 Nov 2026 18:43:07 +0000');
});

test('receivedHeader(): one recipient, TLS, authenticated', () => {
  assert.equal(receivedHeader({ helo: 'laptop.example', clientHostname: '[192.0.2.7]', remoteAddress: '192.0.2.7', hostname: 'mx.demo.test', protocol: 'ESMTPSA', id: 'abc123', tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' }, recipient: 'bob@demo.test', date }),
    'Received: from laptop.example ([192.0.2.7])\r\n\tby mx.demo.test (Tandem) with ESMTPSA id abc123\r\n\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)\r\n\tfor <bob@demo.test>;\r\n\tTue, 24 Nov 2026 18:43:07 +0000');
});

test('receivedHeader(): several recipients are not named; a hostile HELO cannot break the field', () => {
  const h = receivedHeader({ helo: 'evil)\r\nX-Injected: yes (', clientHostname: false, remoteAddress: '::1', hostname: 'mx', protocol: 'ESMTP', id: 'i', date });
  assert.equal(h, 'Received: from evilX-Injected:yes ([::1])\r\n\tby mx (Tandem) with ESMTP id i;\r\n\tTue, 24 Nov 2026 18:43:07 +0000');
  assert.doesNotMatch(h, /\r\nX-Injected/);
});

test('missingOriginationFields() adds only what is missing', () => {
  assert.deepEqual(missingOriginationFields({ date: false, messageId: false }, 'mx.demo.test', 'tok', date), ['Date: Tue, 24 Nov 2026 18:43:07 +0000', 'Message-ID: <tok@mx.demo.test>']);
  assert.deepEqual(missingOriginationFields({ date: true, messageId: true }, 'mx', 't', date), []);
});

test('buildBounce(): a multipart/report DSN with per-recipient status, ORCPT, and the original header only', () => {
  const dsn = buildBounce({
    hostname: 'mx.demo.test', to: 'alice@demo.test', token: 'T1', arrival: date, now: date, envid: 'E1',
    failures: [{ recipient: 'dave@demo.test', reply: REPLIES.quotaTemp('dave@demo.test'), orcpt: 'rfc822;dave@demo.test' }],
    original: Buffer.from('Subject: original\r\n\r\nsecret body\r\n'),
  }).toString();
  assert.match(dsn, /^From: Mail Delivery System <MAILER-DAEMON@mx\.demo\.test>\r\nTo: <alice@demo\.test>\r\n/);
  assert.match(dsn, /Content-Type: multipart\/report; report-type=delivery-status; boundary="=_tandem_T1"/);
  assert.match(dsn, /Reporting-MTA: dns; mx\.demo\.test\r\nOriginal-Envelope-Id: E1\r\nArrival-Date: Tue, 24 Nov 2026 18:43:07 \+0000\r\n\r\nFinal-Recipient: rfc822; dave@demo\.test\r\nOriginal-Recipient: rfc822;dave@demo\.test\r\nAction: failed\r\nStatus: 5\.2\.2\r\nDiagnostic-Code: smtp; 452 4\.2\.2 /);
  assert.match(dsn, /Content-Type: text\/rfc822-headers\r\n\r\nSubject: original\r\n\r\n\r\n--=_tandem_T1--\r\n$/);
  assert.doesNotMatch(dsn, /secret body/);
});

test('MemoryBudget refuses what would pass the cap and gives back what was taken', () => {
  const b = new MemoryBudget(100);
  assert.equal(b.tryTake(60), true);
  assert.equal(b.tryTake(50), false);
  assert.equal(b.inUse, 60);
  b.give(60);
  assert.equal(b.tryTake(100), true);
});
