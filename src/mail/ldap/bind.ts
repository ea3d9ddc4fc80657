// Simple bind (RFC 4513 section 5.1) as a mail user: the bind name is the user's DN
// (uid=alice,ou=people,dc=demo,dc=test or mail=alice@demo.test,...) or just the mail
// address, checked against the scrypt hash and throttled like POP3 logins.
import type { User } from '../directory/directory.ts';
import type { LoginThrottle } from '../../lib/login-throttle.ts';
import { parseDn } from './dn.ts';
import { ResultCode, type LdapResult } from './search.ts';

/** The bind name as a mail address, or null when it names nothing we could log in as. */
export function bindNameToAddress(name: string): string | null {
  const text = name.trim();
  if (!text.includes('=')) return /^[^@\s]+@[^@\s]+$/.test(text) ? text.toLowerCase() : null;
  const dn = parseDn(text);
  if (!dn || dn.length < 2) return null;
  const [leaf, ...rest] = dn;
  if (leaf!.type === 'mail') return /^[^@\s]+@[^@\s]+$/.test(leaf!.value) ? leaf!.value.toLowerCase() : null;
  if (leaf!.type !== 'uid') return null;
  const dcs = rest.filter((r) => r.type === 'dc').map((r) => r.value);
  if (dcs.length === 0 || rest[0]?.type !== 'ou' || rest[0].value.toLowerCase() !== 'people') return null;
  return `${leaf!.value}@${dcs.join('.')}`.toLowerCase();
}

export interface BindDeps {
  readonly authenticate: (address: string, password: string) => Promise<User | null>;
  readonly throttle: LoginThrottle;
}

export type BindOutcome =
  | { kind: 'anonymous'; result: LdapResult }
  | { kind: 'user'; user: User; result: LdapResult }
  | { kind: 'refused'; result: LdapResult; reason: string };

export async function simpleBind(deps: BindDeps, ip: string, name: string, password: string): Promise<BindOutcome> {
  if (name.trim() === '' && password === '') return { kind: 'anonymous', result: { code: ResultCode.success, message: '' } };
  if (password === '') {
    // An "unauthenticated bind" (name, no password) would look like a success to a
    // careless client; RFC 4513 section 5.1.2 lets us refuse it.
    return { kind: 'refused', reason: 'unauthenticated-bind', result: { code: ResultCode.unwillingToPerform, message: 'a bind name without a password is not accepted' } };
  }
  const address = bindNameToAddress(name);
  const who = address ?? name;
  const verdict = deps.throttle.check(ip, who);
  if (verdict) {
    const scope = verdict.scope === 'ip' ? `from ${ip}` : 'for this user';
    return { kind: 'refused', reason: `throttled-${verdict.scope}`, result: { code: ResultCode.busy, message: `too many failed binds ${scope}; try again in ${verdict.retryAfterSeconds} seconds` } };
  }
  const user = address ? await deps.authenticate(address, password) : null;
  if (!user) {
    deps.throttle.recordFailure(ip, who);
    return { kind: 'refused', reason: address ? 'bad-credentials' : 'unknown-bind-name', result: { code: ResultCode.invalidCredentials, message: 'invalid bind name or password' } };
  }
  deps.throttle.recordSuccess(who);
  return { kind: 'user', user, result: { code: ResultCode.success, message: '' } };
}
