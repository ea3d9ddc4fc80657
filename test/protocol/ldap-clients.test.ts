// Real clients against the ldap service: OpenLDAP's ldapsearch (cleartext, StartTLS
// with -ZZ, LDAPS) and the ldapjs client, doing what address books do.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { bind, dnsIn, ldapClient, runLdapTool, search, startLdap, unbind, valuesIn, type LdapFixture } from './ldap-harness.ts';

let f: LdapFixture;
before(async () => { f = await startLdap(); });
after(async () => { await f.stop(); });

const url = () => `ldap://127.0.0.1:${f.port}`;
const asAlice = ['-x', '-LLL', '-D', 'alice@demo.test', '-w', 'wonderland'];

test('ldapsearch reads the root DSE anonymously: naming context, LDAPv3, StartTLS', async () => {
  const r = await runLdapTool('ldapsearch', ['-x', '-LLL', '-H', url(), '-s', 'base', '-b', '', 'namingContexts', 'supportedLDAPVersion', 'supportedExtension']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(valuesIn(r.stdout, 'namingContexts'), ['dc=demo,dc=test']);
  assert.deepEqual(valuesIn(r.stdout, 'supportedLDAPVersion'), ['3']);
  assert.ok(valuesIn(r.stdout, 'supportedExtension').includes('1.3.6.1.4.1.1466.20037'));
});

test('an address-book search finds people by mail, cn or sn prefix, in any case; disabled users stay hidden', async () => {
  const r = await runLdapTool('ldapsearch', [...asAlice, '-H', url(), '-b', 'dc=demo,dc=test', '(|(mail=AL*)(cn=al*)(sn=al*))', 'cn', 'mail', 'sn', 'givenName']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(dnsIn(r.stdout).sort(), ['uid=alfred,ou=people,dc=demo,dc=test', 'uid=alice,ou=people,dc=demo,dc=test']);
  assert.ok(valuesIn(r.stdout, 'cn').includes('Alice Liddell'));
  assert.ok(valuesIn(r.stdout, 'givenName').includes('Alfred'));
  const carol = await runLdapTool('ldapsearch', [...asAlice, '-H', url(), '-b', 'dc=demo,dc=test', '(|(mail=carol*)(cn=carol*))']);
  assert.equal(carol.code, 0);
  assert.deepEqual(dnsIn(carol.stdout), []);
});

test('scopes base, one and sub, and lists as groupOfNames with member DNs', async () => {
  const base = await runLdapTool('ldapsearch', [...asAlice, '-H', url(), '-s', 'base', '-b', 'uid=bob,ou=people,dc=demo,dc=test', '(objectClass=*)', 'mail']);
  assert.deepEqual(dnsIn(base.stdout), ['uid=bob,ou=people,dc=demo,dc=test']);
  assert.deepEqual(valuesIn(base.stdout, 'mail'), ['bob@demo.test']);
  const one = await runLdapTool('ldapsearch', [...asAlice, '-H', url(), '-s', 'one', '-b', 'dc=demo,dc=test', '(objectClass=*)', '1.1']);
  assert.deepEqual(dnsIn(one.stdout), ['ou=people,dc=demo,dc=test', 'ou=lists,dc=demo,dc=test']);
  const lists = await runLdapTool('ldapsearch', [...asAlice, '-H', url(), '-b', 'dc=demo,dc=test', '(objectClass=groupOfNames)']);
  assert.deepEqual(dnsIn(lists.stdout), ['cn=team,ou=lists,dc=demo,dc=test']);
  assert.deepEqual(valuesIn(lists.stdout, 'mail'), ['team@demo.test']);
  assert.deepEqual(valuesIn(lists.stdout, 'member').sort(), ['uid=alice,ou=people,dc=demo,dc=test', 'uid=bob,ou=people,dc=demo,dc=test']);
  const alias = await runLdapTool('ldapsearch', [...asAlice, '-H', url(), '-b', 'dc=demo,dc=test', '(&(mail=*)(!(objectClass=groupOfNames))(uid=sales))', 'mail']);
  assert.deepEqual(valuesIn(alias.stdout, 'mail'), ['sales@demo.test']);
});

test('StartTLS (-ZZ) and LDAPS carry a bind and a search', async () => {
  const starttls = await runLdapTool('ldapsearch', [...asAlice, '-ZZ', '-H', url(), '-b', 'dc=demo,dc=test', '(uid=bob)', 'mail']);
  assert.equal(starttls.code, 0, starttls.stderr);
  assert.deepEqual(valuesIn(starttls.stdout, 'mail'), ['bob@demo.test']);
  const ldaps = await runLdapTool('ldapsearch', [...asAlice, '-H', `ldaps://127.0.0.1:${f.tlsPort}`, '-b', 'dc=demo,dc=test', '(uid=bob)', 'mail']);
  assert.equal(ldaps.code, 0, ldaps.stderr);
  assert.deepEqual(valuesIn(ldaps.stdout, 'mail'), ['bob@demo.test']);
  const who = await runLdapTool('ldapwhoami', ['-x', '-ZZ', '-H', url(), '-D', 'uid=bob,ou=people,dc=demo,dc=test', '-w', 'builder']);
  assert.equal(who.code, 0, who.stderr);
  assert.equal(who.stdout.trim(), 'u:bob@demo.test');
});

test('anonymous searches are refused by default; a bad password is invalidCredentials', async () => {
  const anon = await runLdapTool('ldapsearch', ['-x', '-LLL', '-H', url(), '-b', 'dc=demo,dc=test', '(mail=*)']);
  assert.equal(anon.code, 50, anon.stderr);
  assert.match(anon.stderr, /Insufficient access/);
  const bad = await runLdapTool('ldapsearch', ['-x', '-LLL', '-H', url(), '-D', 'uid=bob,ou=people,dc=demo,dc=test', '-w', 'wrong', '-b', 'dc=demo,dc=test']);
  assert.equal(bad.code, 49, bad.stderr);
});

test('the size limit: the client asks for 2, gets 2 and sizeLimitExceeded (4)', async () => {
  const r = await runLdapTool('ldapsearch', [...asAlice, '-H', url(), '-z', '2', '-b', 'dc=demo,dc=test', '(mail=*)', 'mail']);
  assert.equal(r.code, 4, r.stderr);
  assert.equal(dnsIn(r.stdout).length, 2);
});

test('ldapjs client: binds by DN and by address, searches with attribute selection, gets noSuchObject', async () => {
  const client = ldapClient(url());
  try {
    await bind(client, 'uid=alice,ou=people,dc=demo,dc=test', 'wonderland');
    await bind(client, 'bob@demo.test', 'builder');
    const r = await search(client, 'ou=people,dc=demo,dc=test', { scope: 'one', filter: '(sn=builder)', attributes: ['displayName', 'MAIL'] });
    assert.equal(r.status, 0);
    assert.deepEqual(r.entries, [{ dn: 'uid=bob,ou=people,dc=demo,dc=test', attributes: { mail: ['bob@demo.test'], displayName: ['Bob Builder'] } }]);
    const missing = await search(client, 'uid=nobody,ou=people,dc=demo,dc=test', { scope: 'base' });
    assert.equal(missing.status, 32);
  } finally {
    await unbind(client);
  }
});

test('an account added while the service runs shows up in searches (within the 2 s snapshot time)', async () => {
  await f.vol.directory.addUser({ address: 'dinah@demo.test', password: 'dinah-the-cat', displayName: 'Dinah Cat' });
  const deadline = Date.now() + 15_000;
  let found: string[] = [];
  while (Date.now() < deadline) {
    const r = await runLdapTool('ldapsearch', [...asAlice, '-H', url(), '-b', 'dc=demo,dc=test', '(sn=cat)', 'mail']);
    found = valuesIn(r.stdout, 'mail');
    if (found.length > 0) break;
    await new Promise((res) => setTimeout(res, 300));
  }
  assert.deepEqual(found, ['dinah@demo.test']);
});
