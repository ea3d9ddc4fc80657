// Distinguished names (RFC 4514) for the address book: parse, format with escaping,
// and compare. Pure: no ldapjs here, so the LDAP library can be replaced.
// Values compare case-insensitively (every attribute we name is caseIgnoreMatch).

/** One RDN `type=value` (multi-valued RDNs are not used in our tree). */
export interface Rdn { readonly type: string; readonly value: string }
/** A DN as RDNs from the leaf to the root: `uid=a,ou=people,dc=x` is [uid, ou, dc]. */
export type Dn = readonly Rdn[];

/** Escapes an attribute value for a DN string (RFC 4514 section 2.4). */
export function escapeDnValue(value: string): string {
  let out = value.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`).replace(/\0/g, '\\00');
  if (out.startsWith(' ') || out.startsWith('#')) out = `\\${out}`;
  if (out.endsWith(' ') && !out.endsWith('\\ ')) out = `${out.slice(0, -1)}\\ `;
  return out;
}

export function formatDn(dn: Dn): string {
  return dn.map((r) => `${r.type}=${escapeDnValue(r.value)}`).join(',');
}

/**
 * Parses a DN string; null when it is not valid RFC 4514 syntax (the caller answers
 * invalidDNSyntax, 34). Hex escapes (`\2C`) and quoted values are understood; a
 * multi-valued RDN (`a=1+b=2`) is rejected because nothing in our tree has one.
 */
export function parseDn(text: string): Dn | null {
  const s = text.trim();
  if (s === '') return [];
  const rdns: Rdn[] = [];
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    if (eq < 0) return null;
    const type = s.slice(i, eq).trim().toLowerCase();
    if (!/^([a-z][a-z0-9-]*|\d+(\.\d+)*)$/.test(type)) return null;
    i = eq + 1;
    while (s[i] === ' ') i++;
    const bytes: number[] = [];
    const pushText = (t: string) => { for (const b of Buffer.from(t, 'utf8')) bytes.push(b); };
    if (s[i] === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        pushText(s[i]!);
        i++;
      }
      if (s[i] !== '"') return null;
      i++;
      while (s[i] === ' ') i++;
    } else {
      let trailingSpaces = 0;
      while (i < s.length && s[i] !== ',' && s[i] !== ';') {
        const c = s[i]!;
        if (c === '+') return null;
        if (c === '\\') {
          const hex = /^[0-9a-fA-F]{2}/.exec(s.slice(i + 1, i + 3));
          if (hex) { bytes.push(parseInt(hex[0], 16)); i += 3; trailingSpaces = 0; continue; }
          if (i + 1 >= s.length) return null;
          pushText(s[i + 1]!);
          i += 2;
          trailingSpaces = 0;
          continue;
        }
        if (c === '"') return null;
        trailingSpaces = c === ' ' ? trailingSpaces + 1 : 0;
        pushText(c);
        i++;
      }
      bytes.splice(bytes.length - trailingSpaces, trailingSpaces);
    }
    const value = Buffer.from(bytes).toString('utf8');
    if (value === '') return null;
    rdns.push({ type, value });
    if (i < s.length) {
      if (s[i] !== ',' && s[i] !== ';') return null;
      i++;
      if (i >= s.length) return null; // a trailing comma
    }
  }
  return rdns;
}

/** A canonical string for comparing DNs: lower-case types and values, no escapes ambiguity. */
export function dnKey(dn: Dn): string {
  return dn.map((r) => `${r.type}=${escapeDnValue(r.value.toLowerCase())}`).join(',');
}

/** True when `child` is `parent` or below it. */
export function isWithin(child: Dn, parent: Dn): boolean {
  if (child.length < parent.length) return false;
  const tail = child.slice(child.length - parent.length);
  return dnKey(tail) === dnKey(parent);
}

/** The base DN of a mail domain: demo.test -> dc=demo,dc=test. */
export function domainDn(domain: string): Dn {
  return domain.split('.').map((label) => ({ type: 'dc', value: label }));
}
