// Mail addresses: parsing and normalisation shared by every protocol. Pure.
// Local parts are compared case-insensitively (as Postfix and Dovecot do by default);
// domains are lower-cased. Sub-addressing: "user+tag@dom" delivers to "user@dom".

export interface Address {
  readonly local: string;
  readonly domain: string;
}

const DOMAIN_RE = /^(?=.{1,253}$)([a-z0-9\u0080-\uffff]([a-z0-9\u0080-\uffff-]{0,61}[a-z0-9\u0080-\uffff])?)(\.[a-z0-9\u0080-\uffff]([a-z0-9\u0080-\uffff-]{0,61}[a-z0-9\u0080-\uffff])?)*$/u;
// Dot-atom local part (RFC 5321 4.1.2) plus UTF-8 (RFC 6531). Quoted local parts are
// accepted by SMTP but not used for accounts.
const LOCAL_RE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uffff-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uffff-]+)*$/u;

/** Parses "local@domain" into a normalised Address, or returns null. */
export function parseAddress(text: string): Address | null {
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) return null;
  const local = text.slice(0, at);
  const domain = normalizeDomain(text.slice(at + 1));
  if (local.length > 64 || !LOCAL_RE.test(local) || !isValidDomain(domain)) return null;
  return { local: local.toLowerCase(), domain };
}

export function normalizeDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/\.$/, '');
}

export function isValidDomain(domain: string): boolean {
  return DOMAIN_RE.test(domain);
}

/** Canonical text form of an address. */
export function formatAddress(a: Address): string {
  return `${a.local}@${a.domain}`;
}

/** Normalises an address string; throws a message naming the input when it is invalid. */
export function normalizeAddress(text: string): string {
  const a = parseAddress(text.trim());
  if (!a) throw new Error(`"${text}" is not a valid mail address (expected local@domain)`);
  return formatAddress(a);
}

/** "user+tag@dom" -> "user@dom"; other addresses unchanged. */
export function stripSubaddress(a: Address, delimiter = '+'): Address {
  const i = a.local.indexOf(delimiter);
  return i > 0 ? { local: a.local.slice(0, i), domain: a.domain } : a;
}
