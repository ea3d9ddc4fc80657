// The address book's pure parts, by table: DN parsing and escaping, filter evaluation
// (three-valued, case-insensitive), the tree built from the directory, and searches
// with scopes, attribute selection and limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeDnValue, formatDn, isWithin, parseDn } from './dn.ts';
import { matchesFilter, type Filter } from './filter.ts';
import { makeEntry, selectAttributes } from './entry.ts';
import { buildEntries, nameParts, rootDse, type DirectorySnapshot } from './tree.ts';
import { effectiveLimit, ResultCode, runSearch, type SearchSpec } from './search.ts';
import type { User } from '../directory/directory.ts';

const user = (local: string, displayName: string, enabled = true): User => ({
  address: `${local}@demo.test`, domain: 'demo.test', local, displayName, quotaBytes: 0, enabled, createdAt: 0, updatedAt: 0,
});

const SNAP: DirectorySnapshot = {
  domains: [{ name: 'demo.test', catchall: null, createdAt: 0 }, { name: 'other.example', catchall: null, createdAt: 0 }],
  users: [user('alice', 'Alice Liddell'), user('bob', 'Bob Builder'), user('carol', 'Carol Hidden', false), user('o,dd+one', '')],
  aliases: [{ address: 'sales@demo.test', targets: ['alice@demo.test'] }],
  lists: [{ address: 'team@demo.test', description: 'The team', posting: 'members', replyTo: 'sender', members: [
    { address: 'alice@demo.test', role: 'member' }, { address: 'carol@demo.test', role: 'member' }, { address: 'x@remote.example', role: 'member' },
  ] }],
};

test('parseDn() reads RFC 4514 DNs with escapes and quotes, and refuses bad syntax', () => {
  const cases: Array<[string, string | null]> = [
    ['uid=alice,ou=people,dc=demo,dc=test', 'uid=alice,ou=people,dc=demo,dc=test'],
    ['UID = alice , OU=People,DC=demo,DC=test', 'uid=alice,ou=People,dc=demo,dc=test'],
    ['uid=o\\,dd\\+one,dc=x', 'uid=o\\,dd\\+one,dc=x'],
    ['uid=o\\2Cdd,dc=x', 'uid=o\\,dd,dc=x'],
    ['cn="Smith, John",dc=x', 'cn=Smith\\, John,dc=x'],
    ['cn=caf\\C3\\A9,dc=x', 'cn=café,dc=x'],
    ['', ''],
    ['alice@demo.test', null],
    ['uid=a,,dc=x', null],
    ['uid=a,', null],
    ['uid=a+cn=b,dc=x', null],
    ['=x,dc=y', null],
    ['uid=,dc=x', null],
    ['uid=a\\', null],
  ];
  for (const [text, expected] of cases) {
    const dn = parseDn(text);
    assert.equal(dn === null ? null : formatDn(dn), expected, text);
  }
});

test('escapeDnValue() escapes specials, a leading # or space and a trailing space', () => {
  assert.equal(escapeDnValue('a,b+c"d\\e<f>g;h=i'), 'a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h\\=i');
  assert.equal(escapeDnValue('#x'), '\\#x');
  assert.equal(escapeDnValue(' x '), '\\ x\\ ');
  for (const v of ['a,b', ' lead', 'trail ', '#hash', 'q"uote', 'back\\slash']) {
    assert.equal(parseDn(`uid=${escapeDnValue(v)},dc=x`)![0]!.value, v, v);
  }
});

test('isWithin() compares DNs case-insensitively', () => {
  assert.ok(isWithin(parseDn('uid=a,ou=People,DC=Demo,dc=test')!, parseDn('dc=demo,dc=TEST')!));
  assert.ok(!isWithin(parseDn('dc=demo,dc=test')!, parseDn('ou=people,dc=demo,dc=test')!));
  assert.ok(!isWithin(parseDn('uid=a,dc=ademo,dc=test')!, parseDn('dc=demo,dc=test')!));
});

test('nameParts() derives cn, sn and givenName from the display name', () => {
  assert.deepEqual(nameParts('Alice Liddell', 'alice'), { cn: 'Alice Liddell', sn: 'Liddell', givenName: 'Alice' });
  assert.deepEqual(nameParts('Mary Ann Smith', 'm'), { cn: 'Mary Ann Smith', sn: 'Smith', givenName: 'Mary Ann' });
  assert.deepEqual(nameParts('Cher', 'c'), { cn: 'Cher', sn: 'Cher' });
  assert.deepEqual(nameParts('  ', 'bob'), { cn: 'bob', sn: 'bob' });
});

const alice = makeEntry(parseDn('uid=alice,ou=people,dc=demo,dc=test')!, {
  objectClass: ['top', 'inetOrgPerson'], uid: 'alice', mail: 'alice@demo.test', cn: 'Alice  Liddell', sn: 'Liddell',
});

test('matchesFilter() covers what address-book clients send, case-insensitively', () => {
  const eq = (attribute: string, value: string): Filter => ({ kind: 'equal', attribute, value });
  const sub = (attribute: string, initial?: string, any: string[] = [], final?: string): Filter => ({ kind: 'substrings', attribute, initial, any, final });
  const cases: Array<[string, Filter, boolean]> = [
    ['equality', eq('mail', 'ALICE@demo.test'), true],
    ['equality, other value', eq('mail', 'bob@demo.test'), false],
    ['equality folds spaces', eq('cn', 'alice liddell'), true],
    ['attribute name in any case', eq('MAIL', 'alice@demo.test'), true],
    ['presence', { kind: 'present', attribute: 'sn' }, true],
    ['presence of a missing attribute', { kind: 'present', attribute: 'givenName' }, false],
    ['prefix', sub('mail', 'Al'), true],
    ['prefix not matching', sub('mail', 'bo'), false],
    ['contains', sub('cn', undefined, ['lid']), true],
    ['suffix', sub('mail', undefined, [], '.TEST'), true],
    ['initial, any and final in order', sub('cn', 'a', ['ce', 'id'], 'ell'), true],
    ['parts out of order', sub('cn', 'a', ['id', 'ce']), false],
    ['initial and final overlapping', sub('uid', 'ali', [], 'ice'), false],
    ['thunderbird style or', { kind: 'or', filters: [sub('mail', 'li'), sub('cn', 'li'), sub('sn', 'li')] }, true],
    ['outlook style and', { kind: 'and', filters: [{ kind: 'present', attribute: 'mail' }, { kind: 'or', filters: [sub('cn', 'ali'), sub('sn', 'ali')] }] }, true],
    ['not', { kind: 'not', filter: eq('uid', 'bob') }, true],
    ['not of a match', { kind: 'not', filter: eq('uid', 'alice') }, false],
    ['not of unsupported stays undefined', { kind: 'not', filter: { kind: 'unsupported', what: 'ext' } }, false],
    ['or with an undefined part still matches', { kind: 'or', filters: [{ kind: 'unsupported', what: 'ext' }, eq('uid', 'alice')] }, true],
    ['and with an undefined part does not', { kind: 'and', filters: [{ kind: 'unsupported', what: 'ext' }, eq('uid', 'alice')] }, false],
    ['empty and is true (RFC 4526)', { kind: 'and', filters: [] }, true],
    ['empty or is false', { kind: 'or', filters: [] }, false],
    ['greater or equal', { kind: 'greater-or-equal', attribute: 'uid', value: 'ab' }, true],
    ['less or equal', { kind: 'less-or-equal', attribute: 'uid', value: 'ab' }, false],
    ['objectClass presence always true', { kind: 'present', attribute: 'objectclass' }, true],
    ['anr matches a prefix of a naming attribute', eq('anr', 'lidd'), true],
    ['anr on mail', eq('ANR', 'alice@'), true],
    ['anr is a prefix, not a substring', eq('anr', 'iddell'), false],
  ];
  for (const [name, filter, expected] of cases) assert.equal(matchesFilter(filter, alice), expected, name);
});

test('selectAttributes() honours *, 1.1, +, names in any case and typesOnly', () => {
  const dse = rootDse(SNAP.domains);
  assert.deepEqual(Object.keys(selectAttributes(alice, [], false).attributes), ['objectClass', 'uid', 'mail', 'cn', 'sn']);
  assert.deepEqual(Object.keys(selectAttributes(alice, ['MAIL', 'cn'], false).attributes), ['mail', 'cn']);
  assert.deepEqual(selectAttributes(alice, ['1.1'], false).attributes, {});
  assert.deepEqual(selectAttributes(alice, ['mail'], true).attributes, { mail: [] });
  assert.deepEqual(Object.keys(selectAttributes(dse, [], false).attributes), ['objectClass'], 'operational attributes only on request');
  assert.deepEqual(selectAttributes(dse, ['namingcontexts'], false).attributes, { namingContexts: ['dc=demo,dc=test', 'dc=other,dc=example'] });
  assert.ok(selectAttributes(dse, ['+'], false).attributes.supportedExtension!.includes('1.3.6.1.4.1.1466.20037'));
});

test('buildEntries() lists enabled users and aliases under ou=people and lists as groupOfNames', () => {
  const entries = buildEntries(SNAP);
  const dns = entries.map((e) => formatDn(e.dn));
  assert.deepEqual(dns, [
    'dc=demo,dc=test', 'ou=people,dc=demo,dc=test', 'ou=lists,dc=demo,dc=test',
    'dc=other,dc=example', 'ou=people,dc=other,dc=example', 'ou=lists,dc=other,dc=example',
    'uid=alice,ou=people,dc=demo,dc=test', 'uid=bob,ou=people,dc=demo,dc=test', 'uid=o\\,dd\\+one,ou=people,dc=demo,dc=test',
    'uid=sales,ou=people,dc=demo,dc=test', 'cn=team,ou=lists,dc=demo,dc=test',
  ]);
  assert.ok(!dns.some((d) => d.includes('carol')), 'a disabled user is not listed');
  const team = entries.find((e) => formatDn(e.dn).startsWith('cn=team'))!;
  assert.deepEqual(team.attributes.get('member')!.values, ['uid=alice,ou=people,dc=demo,dc=test'], 'only enabled local members as DNs');
  assert.deepEqual(team.attributes.get('objectclass')!.values, ['top', 'groupOfNames']);
  const a = entries.find((e) => formatDn(e.dn).startsWith('uid=alice'))!;
  assert.deepEqual(Object.fromEntries([...a.attributes.values()].map((x) => [x.name, x.values])), {
    objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid: ['alice'], mail: ['alice@demo.test'],
    cn: ['Alice Liddell'], sn: ['Liddell'], givenName: ['Alice'], displayName: ['Alice Liddell'],
  });
});

const spec = (over: Partial<SearchSpec>): SearchSpec => ({
  baseDn: 'dc=demo,dc=test', scope: 'sub', filter: { kind: 'present', attribute: 'mail' }, attributes: ['mail'],
  typesOnly: false, sizeLimit: 0, timeLimitSeconds: 0, ...over,
});
const LIMITS = { sizeLimit: 3, timeLimitSeconds: 10 };

test('runSearch() applies base, one-level and subtree scopes', () => {
  const entries = buildEntries(SNAP);
  const dse = rootDse(SNAP.domains);
  const dnsOf = (s: Partial<SearchSpec>) => runSearch(spec({ filter: { kind: 'present', attribute: 'objectClass' }, ...s }), dse, entries, { sizeLimit: 100, timeLimitSeconds: 10 }, () => 0).entries.map((e) => e.dn);
  assert.deepEqual(dnsOf({ scope: 'base' }), ['dc=demo,dc=test']);
  assert.deepEqual(dnsOf({ scope: 'one' }), ['ou=people,dc=demo,dc=test', 'ou=lists,dc=demo,dc=test']);
  assert.equal(dnsOf({ scope: 'sub' }).length, 8);
  assert.deepEqual(dnsOf({ baseDn: 'OU=Lists,DC=Demo,DC=Test', scope: 'one' }), ['cn=team,ou=lists,dc=demo,dc=test']);
  assert.deepEqual(dnsOf({ baseDn: '', scope: 'one' }), ['dc=demo,dc=test', 'dc=other,dc=example']);
  assert.deepEqual(dnsOf({ baseDn: '', scope: 'base' }), ['']);
});

test('runSearch() answers noSuchObject with the matched DN, and invalidDNSyntax', () => {
  const entries = buildEntries(SNAP);
  const r = runSearch(spec({ baseDn: 'uid=zed,ou=people,dc=demo,dc=test' }), rootDse(SNAP.domains), entries, LIMITS, () => 0);
  assert.equal(r.result.code, ResultCode.noSuchObject);
  assert.equal(r.result.matchedDn, 'ou=people,dc=demo,dc=test');
  assert.equal(runSearch(spec({ baseDn: 'dc=nowhere' }), rootDse(SNAP.domains), entries, LIMITS, () => 0).result.matchedDn, '');
  assert.equal(runSearch(spec({ baseDn: 'not a dn' }), rootDse(SNAP.domains), entries, LIMITS, () => 0).result.code, ResultCode.invalidDNSyntax);
});

test('the lower of the client and server size limits wins, with sizeLimitExceeded', () => {
  assert.equal(effectiveLimit(0, 500), 500);
  assert.equal(effectiveLimit(10, 500), 10);
  assert.equal(effectiveLimit(1000, 500), 500);
  const entries = buildEntries(SNAP);
  const dse = rootDse(SNAP.domains);
  const server = runSearch(spec({}), dse, entries, LIMITS, () => 0);
  assert.equal(server.result.code, ResultCode.sizeLimitExceeded);
  assert.equal(server.entries.length, 3);
  const client = runSearch(spec({ sizeLimit: 2 }), dse, entries, LIMITS, () => 0);
  assert.equal(client.result.code, ResultCode.sizeLimitExceeded);
  assert.equal(client.entries.length, 2);
  const exact = runSearch(spec({ filter: { kind: 'substrings', attribute: 'mail', initial: 'a', any: [] } }), dse, entries, LIMITS, () => 0);
  assert.equal(exact.result.code, ResultCode.success, 'exactly at the limit is not exceeding it');
});

test('a search that runs past the lower time limit ends with timeLimitExceeded', () => {
  const entries = buildEntries(SNAP);
  let t = 0;
  const clock = () => (t += 400); // every look at the clock costs 0.4 s
  const r = runSearch(spec({ timeLimitSeconds: 2 }), rootDse(SNAP.domains), entries, LIMITS, clock);
  assert.equal(r.result.code, ResultCode.timeLimitExceeded);
  assert.match(r.result.message, /time limit of 2s/);
});
