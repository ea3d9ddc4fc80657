// The address book's tree, built from the account directory (docs/ldap.md):
//
//   ""                                   root DSE (namingContexts: one per domain)
//   dc=demo,dc=test                      domain
//     ou=people,dc=demo,dc=test          users and aliases (inetOrgPerson)
//       uid=alice,ou=people,...          mail=alice@demo.test, cn, sn, givenName, displayName
//     ou=lists,dc=demo,dc=test           mailing lists (groupOfNames + mail)
//       cn=team,ou=lists,...             mail=team@demo.test, member=<DNs of local members>
//
// Pure: it takes the directory's records and returns entries; disabled users are left out.
import type { Alias, Domain, MailingList, User } from '../directory/directory.ts';
import { domainDn, formatDn, type Dn } from './dn.ts';
import { makeEntry, type Entry } from './entry.ts';

export const STARTTLS_OID = '1.3.6.1.4.1.1466.20037';
export const WHOAMI_OID = '1.3.6.1.4.1.4203.1.11.3';

/** What the tree is built from: a snapshot of the directory. */
export interface DirectorySnapshot {
  readonly domains: readonly Domain[];
  readonly users: readonly User[];
  readonly aliases: readonly Alias[];
  readonly lists: readonly MailingList[];
}

export function peopleDn(domain: string): Dn {
  return [{ type: 'ou', value: 'people' }, ...domainDn(domain)];
}
export function listsDn(domain: string): Dn {
  return [{ type: 'ou', value: 'lists' }, ...domainDn(domain)];
}
/** The DN of a user or alias: uid=LOCAL,ou=people,dc=... */
export function personDn(local: string, domain: string): Dn {
  return [{ type: 'uid', value: local }, ...peopleDn(domain)];
}
export function listDn(local: string, domain: string): Dn {
  return [{ type: 'cn', value: local }, ...listsDn(domain)];
}

function splitAddress(address: string): { local: string; domain: string } {
  const at = address.lastIndexOf('@');
  return { local: address.slice(0, at), domain: address.slice(at + 1) };
}

/** cn, sn and givenName from a display name: "Alice Liddell" -> Alice / Liddell. */
export function nameParts(displayName: string, local: string): { cn: string; sn: string; givenName?: string } {
  const words = displayName.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return { cn: local, sn: local };
  if (words.length === 1) return { cn: words[0]!, sn: words[0]! };
  return { cn: words.join(' '), sn: words[words.length - 1]!, givenName: words.slice(0, -1).join(' ') };
}

const PERSON_CLASSES = ['top', 'person', 'organizationalPerson', 'inetOrgPerson'];

export function rootDse(domains: readonly Domain[]): Entry {
  return makeEntry([], {
    objectClass: ['top'],
    namingContexts: domains.map((d) => formatDn(domainDn(d.name))),
    supportedLDAPVersion: ['3'],
    supportedExtension: [STARTTLS_OID, WHOAMI_OID],
    supportedSASLMechanisms: [],
    vendorName: 'Tandem',
  }, ['namingContexts', 'supportedLDAPVersion', 'supportedExtension', 'supportedSASLMechanisms', 'vendorName']);
}

/** Every entry below the root DSE, parents before children. */
export function buildEntries(snap: DirectorySnapshot): Entry[] {
  const entries: Entry[] = [];
  const local = new Set(snap.domains.map((d) => d.name));
  const enabledUsers = snap.users.filter((u) => u.enabled && local.has(u.domain));
  const hidden = new Set(snap.users.filter((u) => !u.enabled).map((u) => u.address));
  for (const d of snap.domains) {
    entries.push(makeEntry(domainDn(d.name), { objectClass: ['top', 'domain'], dc: d.name.split('.')[0], o: d.name }));
    entries.push(makeEntry(peopleDn(d.name), { objectClass: ['top', 'organizationalUnit'], ou: 'people' }));
    entries.push(makeEntry(listsDn(d.name), { objectClass: ['top', 'organizationalUnit'], ou: 'lists' }));
  }
  for (const u of enabledUsers) {
    const n = nameParts(u.displayName, u.local);
    entries.push(makeEntry(personDn(u.local, u.domain), {
      objectClass: PERSON_CLASSES, uid: u.local, mail: u.address, cn: n.cn, sn: n.sn, givenName: n.givenName,
      displayName: u.displayName || u.local,
    }));
  }
  for (const a of snap.aliases) {
    const { local: l, domain } = splitAddress(a.address);
    if (!local.has(domain)) continue;
    entries.push(makeEntry(personDn(l, domain), {
      objectClass: PERSON_CLASSES, uid: l, mail: a.address, cn: l, sn: l, displayName: l, description: 'alias',
    }));
  }
  const dnOfPerson = new Map<string, Dn>();
  for (const u of enabledUsers) dnOfPerson.set(u.address, personDn(u.local, u.domain));
  for (const l of snap.lists) {
    const { local: lp, domain } = splitAddress(l.address);
    if (!local.has(domain)) continue;
    const members = l.members.map((m) => m.address).filter((m) => !hidden.has(m) && dnOfPerson.has(m))
      .map((m) => formatDn(dnOfPerson.get(m)!));
    entries.push(makeEntry(listDn(lp, domain), {
      objectClass: ['top', 'groupOfNames'], cn: lp, mail: l.address, description: l.description, displayName: lp, member: members,
    }));
  }
  return entries;
}
