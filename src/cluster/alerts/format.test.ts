// Alert formatting: level filter, the one-line text, mail subject/body, and the webhook
// signature a receiver can verify (and that fails for a changed body, timestamp or secret).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventLine, mailBody, mailSubject, passesLevel, verifyWebhookSignature, webhookSignature } from './format.ts';
import { event } from './_events.ts';

test('level filter: a sink gets its level and above', () => {
  assert.equal(passesLevel(event('info'), 'warning'), false);
  assert.equal(passesLevel(event('warning'), 'warning'), true);
  assert.equal(passesLevel(event('error'), 'warning'), true);
  assert.equal(passesLevel(event('info'), 'info'), true);
  assert.equal(passesLevel(event('warning'), 'error'), false);
});

test('the event line names cluster, node, level, kind, group and keeps to one line', () => {
  const e = event('error', 'resource.failed', { resource: 'smtp', message: 'smtp failed\nmonitor listening' });
  assert.equal(eventLine(e), `${e.at} mail-cluster/sv1 ERROR resource.failed [mail/smtp]: smtp failed monitor listening`);
  assert.match(mailSubject(e), /^\[tandem mail-cluster\] ERROR resource\.failed mail on sv1: smtp failed monitor listening$/);
  assert.match(mailBody(e), /resource: smtp/);
  assert.match(mailBody(e), /"epoch": 7/);
});

test('webhook signature: verifiable with the secret, and only for the same timestamp and body', () => {
  const body = JSON.stringify(event('warning'));
  const sig = webhookSignature('sixteen-chars-or-more', 1_790_000_000, body);
  assert.match(sig, /^sha256=[0-9a-f]{64}$/);
  assert.equal(verifyWebhookSignature('sixteen-chars-or-more', 1_790_000_000, body, sig), true);
  assert.equal(verifyWebhookSignature('sixteen-chars-or-more', 1_790_000_001, body, sig), false);
  assert.equal(verifyWebhookSignature('sixteen-chars-or-more', 1_790_000_000, `${body} `, sig), false);
  assert.equal(verifyWebhookSignature('another-secret-value', 1_790_000_000, body, sig), false);
  assert.equal(verifyWebhookSignature('sixteen-chars-or-more', 1_790_000_000, body, 'sha256=00'), false);
});
