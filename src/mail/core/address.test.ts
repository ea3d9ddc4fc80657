// Address parsing and normalisation, as tables: what every protocol and the account
// commands accept as "local@domain", and the canonical form they store and compare.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddress, normalizeAddress, normalizeDomain, isValidDomain, formatAddress, stripSubaddress } from './address.ts';

test('parseAddress() lower-cases local part and domain and drops a trailing root dot', () => {
  const cases: Array<[string, string]> = [
    ['alice@example.com', 'alice@example.com'],
    ['Alice@Example.COM', 'alice@example.com'],
    ['alice@example.com.', 'alice@example.com'],
    ['first.last@sub.example.org', 'first.last@sub.example.org'],
    ['user+tag@example.com', 'user+tag@example.com'],
    ["o'brien@example.ie", "o'brien@example.ie"],
    ['a!#$%&*/=?^_`{|}~-@example.com', 'a!#$%&*/=?^_`{|}~-@example.com'],
    ['Jörg@Bücher.DE', 'jörg@bücher.de'],
    ['a@xn--bcher-kva.example', 'a@xn--bcher-kva.example'],
    ['root@localhost', 'root@localhost'],
    [`${'x'.repeat(64)}@example.com`, `${'x'.repeat(64)}@example.com`],
    [`a@${'l'.repeat(63)}.com`, `a@${'l'.repeat(63)}.com`],
  ];
  for (const [input, canonical] of cases) {
    const parsed = parseAddress(input);
    assert.ok(parsed, `${input} should parse`);
    assert.equal(formatAddress(parsed), canonical, input);
    assert.equal(normalizeAddress(input), canonical, input);
  }
});

test('parseAddress() refuses what cannot be an account address', () => {
  const cases: Array<[string, string]> = [
    ['', 'empty'],
    ['alice', 'no @'],
    ['@example.com', 'empty local part'],
    ['alice@', 'empty domain'],
    ['a@b@example.com', 'two @'],
    ['a..b@example.com', 'empty dot-atom'],
    ['.alice@example.com', 'leading dot'],
    ['alice.@example.com', 'trailing dot'],
    ['"quoted"@example.com', 'quoted local part'],
    ['a b@example.com', 'space in local part'],
    ['a\r@example.com', 'CR in local part'],
    ['alice@exa mple.com', 'space in domain'],
    ['alice@[192.0.2.1]', 'address literal'],
    ['alice@-example.com', 'label starts with a hyphen'],
    ['alice@example-.com', 'label ends with a hyphen'],
    ['alice@example..com', 'empty label'],
    ['alice@exa_mple.com', 'underscore in domain'],
    [`${'x'.repeat(65)}@example.com`, 'local part over 64 octets'],
    [`a@${'l'.repeat(64)}.com`, 'label over 63 octets'],
    [`a@${'abc.'.repeat(63)}com`, 'domain over 253 octets'],
  ];
  for (const [input, why] of cases) {
    assert.equal(parseAddress(input), null, `${why}: ${JSON.stringify(input)}`);
    assert.throws(() => normalizeAddress(input), /is not a valid mail address \(expected local@domain\)/, why);
  }
});

test('domains are normalised before they are validated', () => {
  const cases: Array<[string, string, boolean]> = [
    ['Example.COM', 'example.com', true],
    [' example.com. ', 'example.com', true],
    ['bücher.de', 'bücher.de', true],
    ['ex ample.com', 'ex ample.com', false],
    ['', '', false],
    ['.', '', false],
  ];
  for (const [input, normal, valid] of cases) {
    assert.equal(normalizeDomain(input), normal, input);
    assert.equal(isValidDomain(normalizeDomain(input)), valid, input);
  }
  assert.equal(isValidDomain('Example.com'), false, 'isValidDomain() expects a normalised domain');
});

test('stripSubaddress() removes the first +tag but never empties the local part', () => {
  const cases: Array<[string, string, string?]> = [
    ['user+tag', 'user'],
    ['user+a+b', 'user'],
    ['user', 'user'],
    ['+tag', '+tag'],
    ['user-tag', 'user', '-'],
    ['user+tag', 'user+tag', '-'],
  ];
  for (const [local, base, delimiter] of cases) {
    assert.deepEqual(stripSubaddress({ local, domain: 'example.com' }, delimiter), { local: base, domain: 'example.com' }, `${local} ${delimiter ?? '+'}`);
  }
});
