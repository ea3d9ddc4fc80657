import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser, type ParsedMail } from 'mailparser';
import { buildDsn, selectDsnReports, formatDate, headerBlock, type DsnMessage } from './dsn.ts';
import type { QueueEntry, QueueRecipient } from './spool.ts';

const T0 = Date.UTC(2026, 10, 24, 18, 0, 0);
const ORIGINAL = Buffer.from('From: Alice <alice@demo.test>\r\nTo: x@example.org\r\nSubject: lunch\r\nMessage-ID: <m1@demo.test>\r\n\r\nsee you at noon\r\n');

function entry(recipients: Array<Partial<QueueRecipient> & { address: string }>, extra: Partial<QueueEntry> = {}): QueueEntry {
  return {
    id: 'q1', sender: 'alice@demo.test', createdAt: T0, nextAttemptAt: T0, size: ORIGINAL.length,
    recipients: recipients.map((r) => ({ status: 'failed', attempts: 1, ...r })),
    ...extra,
  };
}

/** The report's parts, split on the boundary mailparser found: [content-type, body] each. */
function parts(dsn: DsnMessage, parsed: ParsedMail): Array<{ type: string; body: string }> {
  const ct = parsed.headers.get('content-type') as { value: string; params: Record<string, string> };
  const boundary = ct.params.boundary!;
  const sections = dsn.data.toString('utf8').split(`--${boundary}`).slice(1, -1);
  return sections.map((s) => {
    const [head = '', ...rest] = s.replace(/^\r\n/, '').split('\r\n\r\n');
    return { type: /content-type:\s*([^;\r\n]+)/i.exec(head)?.[1] ?? '', body: rest.join('\r\n\r\n') };
  });
}

/** Parses message/delivery-status into its per-message and per-recipient field groups. */
function statusGroups(body: string): Array<Record<string, string>> {
  return body.trim().split(/\r\n\r\n/).map((group) => Object.fromEntries(group.split('\r\n').map((line) => {
    const i = line.indexOf(':');
    return [line.slice(0, i).toLowerCase(), line.slice(i + 1).trim()];
  })));
}

test('a failure DSN parses back with the RFC 3464 fields and the original message attached', async () => {
  const e = entry([{ address: 'x@example.org', lastResult: '550 5.1.1 <x@example.org> No such user', remoteMta: 'mx.example.org [198.51.100.7]', dsnStatus: '5.1.1', orcpt: 'rfc822;X@Example.org', lastAttemptAt: T0 + 1000 }], { envid: 'ENV-42', receivedFrom: 'client.demo.test' });
  const dsn = buildDsn({ entry: e, reports: selectDsnReports(e), hostname: 'mail.demo.test', now: T0 + 5000, original: ORIGINAL })!;
  assert.equal(dsn.sender, '');
  assert.equal(dsn.recipient, 'alice@demo.test');
  const p = await simpleParser(dsn.data);
  assert.equal(p.from?.value[0]?.address, 'MAILER-DAEMON@mail.demo.test');
  assert.equal(p.to && !Array.isArray(p.to) ? p.to.value[0]?.address : null, 'alice@demo.test');
  assert.equal(p.headers.get('auto-submitted'), 'auto-replied');
  assert.equal(p.inReplyTo, '<m1@demo.test>');
  const ct = p.headers.get('content-type') as { value: string; params: Record<string, string> };
  assert.equal(ct.value, 'multipart/report');
  assert.equal(ct.params['report-type'], 'delivery-status');
  const ps = parts(dsn, p);
  assert.deepEqual(ps.map((x) => x.type), ['text/plain', 'message/delivery-status', 'message/rfc822']);
  assert.match(ps[0]!.body, /<x@example\.org>: 550 5\.1\.1/);
  const [perMessage, perRcpt] = statusGroups(ps[1]!.body);
  assert.deepEqual(perMessage, {
    'reporting-mta': 'dns; mail.demo.test', 'original-envelope-id': 'ENV-42',
    'received-from-mta': 'dns; client.demo.test', 'arrival-date': formatDate(T0),
  });
  assert.deepEqual(perRcpt, {
    'final-recipient': 'rfc822; x@example.org', 'original-recipient': 'rfc822;X@Example.org',
    action: 'failed', status: '5.1.1', 'remote-mta': 'dns; mx.example.org',
    'diagnostic-code': 'smtp; 550 5.1.1 <x@example.org> No such user', 'last-attempt-date': formatDate(T0 + 1000),
  });
  const returned = p.attachments.find((a) => a.contentType === 'message/rfc822');
  assert.equal(returned?.content.toString(), ORIGINAL.toString().trimEnd());
});

test('RET=HDRS and large messages return only the headers as text/rfc822-headers', async () => {
  for (const [extra, max] of [[{ ret: 'HDRS' as const }, undefined], [{}, 20]] as const) {
    const e = entry([{ address: 'x@example.org', lastResult: '554 no' }], extra);
    const dsn = buildDsn({ entry: e, reports: selectDsnReports(e), hostname: 'mail.demo.test', now: T0, original: ORIGINAL, ...(max ? { maxFullBytes: max } : {}) })!;
    const ps = parts(dsn, await simpleParser(dsn.data));
    assert.equal(ps[2]?.type, 'text/rfc822-headers');
    assert.match(ps[2]!.body, /Subject: lunch/);
    assert.doesNotMatch(ps[2]!.body, /see you at noon/);
  }
});

test('selectDsnReports() honours NOTIFY, the null sender and the bounced mark', () => {
  const cases: Array<[string, QueueEntry, string[]]> = [
    ['failure by default', entry([{ address: 'a@x.org' }, { address: 'b@x.org', status: 'delivered' }]), ['a@x.org:failed']],
    ['NOTIFY=NEVER', entry([{ address: 'a@x.org', notify: ['NEVER'] }]), []],
    ['NOTIFY=DELAY only', entry([{ address: 'a@x.org', notify: ['DELAY'] }]), []],
    ['NOTIFY=SUCCESS,FAILURE', entry([{ address: 'a@x.org', status: 'delivered', notify: ['SUCCESS', 'FAILURE'] }, { address: 'b@x.org', status: 'delivered', remoteMta: 'mx', notify: ['SUCCESS'] }]), ['a@x.org:delivered', 'b@x.org:relayed']],
    ['null sender', entry([{ address: 'a@x.org' }], { sender: '' }), []],
    ['already bounced', entry([{ address: 'a@x.org' }], { bounced: true }), []],
    ['pending is not reported', entry([{ address: 'a@x.org', status: 'pending' }]), []],
  ];
  for (const [name, e, expected] of cases) {
    assert.deepEqual(selectDsnReports(e).map((r) => `${r.recipient.address}:${r.action}`), expected, name);
  }
});

test('buildDsn() makes nothing for the null sender or no reports, and copes with a lost original', async () => {
  const e = entry([{ address: 'a@x.org', lastResult: 'message data missing' }]);
  assert.equal(buildDsn({ entry: { ...e, sender: '' }, reports: selectDsnReports(e), hostname: 'h.test', now: T0, original: ORIGINAL }), null);
  assert.equal(buildDsn({ entry: e, reports: [], hostname: 'h.test', now: T0, original: ORIGINAL }), null);
  const dsn = buildDsn({ entry: e, reports: selectDsnReports(e), hostname: 'h.test', now: T0, original: null })!;
  const p = await simpleParser(dsn.data);
  const ps = parts(dsn, p);
  assert.deepEqual(ps.map((x) => x.type), ['text/plain', 'message/delivery-status']);
  assert.match(ps[0]!.body, /original message was lost/);
  const [, rcpt] = statusGroups(ps[1]!.body);
  assert.equal(rcpt?.status, '5.0.0');
  assert.equal(rcpt?.['diagnostic-code'], 'X-Tandem; message data missing (at h.test)');
});

test('formatDate() and headerBlock() are RFC 5322 shaped', () => {
  assert.equal(formatDate(Date.UTC(2026, 0, 5, 7, 8, 9)), 'Mon, 05 Jan 2026 07:08:09 +0000');
  assert.equal(headerBlock(Buffer.from('A: 1\nB: 2\n\nbody\n')).toString(), 'A: 1\r\nB: 2\r\n');
  assert.equal(headerBlock(ORIGINAL).toString(), 'From: Alice <alice@demo.test>\r\nTo: x@example.org\r\nSubject: lunch\r\nMessage-ID: <m1@demo.test>\r\n');
});
