// Tests for modified UTF-7 (RFC 3501 5.1.3), INBOX handling and the Maildir++ mapping,
// with round-trip properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeMutf7, encodeMutf7 } from './mutf7.ts';
import { decodeMailboxName, encodeMailboxName, mailboxNameProblem, mailboxToMaildir, maildirToMailbox, normalizeMailboxName } from './mailbox-name.ts';

test('modified UTF-7 examples (RFC 3501 section 5.1.3)', () => {
  const cases: Array<[string, string]> = [
    ['~peter/mail/台北/日本語', '~peter/mail/&U,BTFw-/&ZeVnLIqe-'],
    ['☺', '&Jjo-'], ['日本語', '&ZeVnLIqe-'], ['Entwürfe', 'Entw&APw-rfe'], ['a&b', 'a&-b'], ['&', '&-'],
    ['Gesendete Objekte', 'Gesendete Objekte'], ['😀', '&2D3eAA-'], ['\t', '&AAk-'],
  ];
  for (const [text, wire] of cases) {
    assert.equal(encodeMutf7(text), wire, text);
    assert.equal(decodeMutf7(wire), text, wire);
  }
  // One base64 run may hold several characters (RFC 3501 section 5.1.3).
  assert.equal(decodeMutf7('&U,BTF2XlZyyKng-'), '台北日本語');
});

test('decodeMutf7() rejects what is not modified UTF-7', () => {
  for (const bad of ['&Jjo', 'caf\u00e9', 'a\tb', '&AGE-', '&Jj-', '&Jjp-', '&*-', '&AAk']) {
    assert.equal(decodeMutf7(bad), null, bad);
  }
});

test('property: mutf7 encode/decode round trip, and the wire form is printable ASCII', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (name) => {
    const wire = encodeMutf7(name);
    assert.match(wire, /^[\x20-\x7e]*$/);
    assert.equal(decodeMutf7(wire), name);
  }), { numRuns: 500 });
});

test('INBOX is case-insensitive, also as a parent (RFC 3501 section 5.1)', () => {
  assert.equal(normalizeMailboxName('inbox'), 'INBOX');
  assert.equal(normalizeMailboxName('InBox/Sub'), 'INBOX/Sub');
  assert.equal(normalizeMailboxName('INBOXES'), 'INBOXES');
  assert.equal(decodeMailboxName('iNbOx', false), 'INBOX');
  assert.equal(decodeMailboxName('Entw&APw-rfe', false), 'Entwürfe');
  assert.equal(decodeMailboxName('Entwürfe', true), 'Entwürfe');
  assert.equal(decodeMailboxName('&Jjo', false), null);
  assert.equal(encodeMailboxName('Entwürfe', false), 'Entw&APw-rfe');
  assert.equal(encodeMailboxName('Entwürfe', true), 'Entwürfe');
});

test('Maildir++ mapping: "/" levels become ".", dots and non-ASCII are escaped', () => {
  const cases: Array<[string, string]> = [
    ['INBOX', ''], ['inbox', ''], ['Sent', '.Sent'], ['Archive/2024', '.Archive.2024'], ['INBOX/Lists', '.INBOX.Lists'],
    ['v1.2', '.v1%2E2'], ['..', '.%2E%2E'], ['a/./b', '.a.%2E.b'], ['Entwürfe', '.Entw&APw-rfe'],
    ['日本語/台北', '.&ZeVnLIqe-.&U,BTFw-'], ['a&b', '.a&-b'], ['~x', '.~x'],
  ];
  for (const [name, dir] of cases) {
    assert.equal(mailboxToMaildir(name), dir, name);
    assert.equal(maildirToMailbox(dir), normalizeMailboxName(name), dir);
  }
});

test('invalid names and directories are refused with a reason', () => {
  for (const bad of ['', '/x', 'x/', 'a//b', 'a\nb', 'a*', '%', 'x'.repeat(300)]) {
    assert.ok(mailboxNameProblem(bad), bad);
    assert.equal(mailboxToMaildir(bad), null, bad);
  }
  for (const dir of ['Sent', '.', '..', '.a..b', '.a/b', '.inbox', '.INBOX', '.a%2e', '.a%41', '.100%25', '.&AGE-', '.x.', '.Inbox.x']) {
    assert.equal(maildirToMailbox(dir), null, dir);
  }
});

// eslint-disable-next-line no-control-regex
const level = fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).filter((s) => !s.includes('/') && !/[\x00-\x1f\x7f*%]/.test(s));

test('property: name -> Maildir++ -> name round trip, and directories are safe path components', () => {
  fc.assert(fc.property(fc.array(level, { minLength: 1, maxLength: 4 }), (levels) => {
    const name = normalizeMailboxName(levels.join('/'));
    const dir = mailboxToMaildir(name);
    if (dir === null) return assert.ok(mailboxNameProblem(name));
    assert.equal(maildirToMailbox(dir), name);
    if (name === 'INBOX') return assert.equal(dir, '');
    assert.ok(dir.startsWith('.') && !dir.includes('/') && !dir.includes('..') && dir !== '.', dir);
    assert.match(dir, /^[\x20-\x7e]+$/);
    assert.equal(dir.slice(1).split('.').length, name.split('/').length);
  }), { numRuns: 500 });
});
