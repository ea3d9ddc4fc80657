// One search (RFC 4511 section 4.5.1) over the address book's entries: base DN and
// scope, filter, attribute selection, size and time limits. Pure: the clock is passed
// in, the result code is a value. The server adapter only ships what this returns.
import { dnKey, formatDn, parseDn } from './dn.ts';
import { selectAttributes, type Entry, type EntryView } from './entry.ts';
import { matchesFilter, type Filter } from './filter.ts';

/** LDAP result codes we answer with (RFC 4511 appendix A). */
export const ResultCode = {
  success: 0,
  operationsError: 1,
  protocolError: 2,
  timeLimitExceeded: 3,
  sizeLimitExceeded: 4,
  authMethodNotSupported: 7,
  confidentialityRequired: 13,
  noSuchObject: 32,
  invalidDNSyntax: 34,
  invalidCredentials: 49,
  insufficientAccessRights: 50,
  busy: 51,
  unavailable: 52,
  unwillingToPerform: 53,
} as const;
export type ResultCodeValue = (typeof ResultCode)[keyof typeof ResultCode];

export interface LdapResult { readonly code: ResultCodeValue; readonly message: string; readonly matchedDn?: string }

export type Scope = 'base' | 'one' | 'sub';

export interface SearchSpec {
  readonly baseDn: string;
  readonly scope: Scope;
  readonly filter: Filter;
  readonly attributes: readonly string[];
  readonly typesOnly: boolean;
  /** What the client asked for; 0 means "no limit" (the server's applies). */
  readonly sizeLimit: number;
  readonly timeLimitSeconds: number;
}

export interface SearchLimits { readonly sizeLimit: number; readonly timeLimitSeconds: number }

export interface SearchOutcome { readonly entries: EntryView[]; readonly result: LdapResult }

/** The lower of the client's and the server's limit; a client's 0 means "none". */
export function effectiveLimit(client: number, server: number): number {
  return client > 0 ? Math.min(client, server) : server;
}

/**
 * Runs a search. `rootDse` answers a base search of "" (RFC 4512 section 5.1); a
 * subtree search from "" covers every domain. `now` is read once per entry, so a
 * long search stops at the time limit with what it found.
 */
export function runSearch(
  spec: SearchSpec, rootDse: Entry, entries: readonly Entry[], limits: SearchLimits, now: () => number,
): SearchOutcome {
  const base = parseDn(spec.baseDn);
  if (!base) return { entries: [], result: { code: ResultCode.invalidDNSyntax, message: `"${spec.baseDn}" is not a valid DN` } };
  const sizeLimit = effectiveLimit(spec.sizeLimit, limits.sizeLimit);
  const timeLimit = effectiveLimit(spec.timeLimitSeconds, limits.timeLimitSeconds);
  const deadline = now() + timeLimit * 1000;

  if (base.length === 0 && spec.scope === 'base') {
    const hit = matchesFilter(spec.filter, rootDse) ? [selectAttributes(rootDse, spec.attributes, spec.typesOnly)] : [];
    return { entries: hit, result: { code: ResultCode.success, message: '' } };
  }
  const baseKey = dnKey(base);
  if (base.length > 0 && !entries.some((e) => e.key === baseKey)) {
    return { entries: [], result: { code: ResultCode.noSuchObject, message: `no entry ${spec.baseDn}`, matchedDn: matchedDn(base, entries) } };
  }
  const found: EntryView[] = [];
  for (const entry of entries) {
    if (now() > deadline) {
      return { entries: found, result: { code: ResultCode.timeLimitExceeded, message: `search ran into its time limit of ${timeLimit}s` } };
    }
    if (!inScope(entry, base, baseKey, spec.scope)) continue;
    if (!matchesFilter(spec.filter, entry)) continue;
    if (found.length >= sizeLimit) {
      return { entries: found, result: { code: ResultCode.sizeLimitExceeded, message: `more than ${sizeLimit} entries match; narrow the search` } };
    }
    found.push(selectAttributes(entry, spec.attributes, spec.typesOnly));
  }
  return { entries: found, result: { code: ResultCode.success, message: '' } };
}

function inScope(entry: Entry, base: readonly Entry['dn'][number][], baseKey: string, scope: Scope): boolean {
  const within = baseKey === '' || entry.key === baseKey || entry.ancestors.has(baseKey);
  switch (scope) {
    case 'base':
      return entry.key === baseKey;
    case 'one':
      // Below the root DSE sit the naming contexts (dc=demo,dc=test is two RDNs deep).
      if (base.length === 0) return entry.dn.length > 0 && entry.dn.every((r) => r.type === 'dc');
      return within && entry.dn.length === base.length + 1;
    case 'sub':
      return within;
  }
}

/** The longest existing ancestor of a missing base, for the noSuchObject reply. */
function matchedDn(base: readonly Entry['dn'][number][], entries: readonly Entry[]): string {
  const keys = new Set(entries.map((e) => e.key));
  for (let i = 1; i < base.length; i++) {
    const up = base.slice(i);
    if (keys.has(dnKey(up))) return formatDn(up);
  }
  return '';
}
