// The account directory: domains, users, aliases, mailing lists and catch-alls, in
// SQLite on the volume (db/accounts.sqlite). Several processes (smtp, pop3, the CLI)
// open it at once; WAL mode lets readers run while one writer commits, and
// synchronous=FULL makes a committed change durable before the call returns.
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { TandemError } from '../../lib/errors.ts';
import { normalizeDomain, isValidDomain, parseAddress } from '../core/address.ts';
import { migrate } from './schema.ts';
import { hashPassword, verifyPassword, dummyPasswordHash } from '../../lib/password-hash.ts';

export interface Domain { name: string; catchall: string | null; createdAt: number }
export interface User {
  address: string; domain: string; local: string; displayName: string;
  quotaBytes: number; enabled: boolean; createdAt: number; updatedAt: number;
  /** Member system holding the mailbox (account replication, S7); null or absent: this system. */
  home?: string | null;
}
export interface Alias { address: string; targets: string[] }
export type PostingPolicy = 'members' | 'anyone' | 'moderators';
export type ReplyToPolicy = 'sender' | 'list';
export interface ListMember { address: string; role: 'member' | 'moderator' }
export interface MailingList {
  address: string; description: string; posting: PostingPolicy; replyTo: ReplyToPolicy; members: ListMember[];
}

/** A user's forwarding and vacation settings (webmail, table user_mail_settings). */
export interface MailSettings {
  forwardTo: string[];
  keepCopy: boolean;
  vacation: { enabled: boolean; subject: string; body: string };
}

export const DEFAULT_MAIL_SETTINGS: MailSettings = { forwardTo: [], keepCopy: true, vacation: { enabled: false, subject: '', body: '' } };

/** The query and row mapping of a user's mail settings, shared with the web service's connection. */
export const MAIL_SETTINGS_SQL = 'SELECT forward_to, keep_copy, vacation_enabled, vacation_subject, vacation_body FROM user_mail_settings WHERE address = ?';
export interface MailSettingsRow { forward_to: string; keep_copy: number; vacation_enabled: number; vacation_subject: string; vacation_body: string }

export function mailSettingsFromRow(r: MailSettingsRow | undefined): MailSettings {
  if (!r) return DEFAULT_MAIL_SETTINGS;
  return {
    forwardTo: r.forward_to === '' ? [] : r.forward_to.split(','),
    keepCopy: r.keep_copy === 1,
    vacation: { enabled: r.vacation_enabled === 1, subject: r.vacation_subject, body: r.vacation_body },
  };
}

/** What an address means to this server. */
export type Recipient =
  /** `forward`: the user forwards its mail there (and keeps a copy when keepCopy). */
  | { kind: 'user'; address: string; user: User; forward?: { targets: string[]; keepCopy: boolean } }
  | { kind: 'alias'; address: string; alias: Alias }
  | { kind: 'list'; address: string; list: MailingList }
  | { kind: 'catchall'; address: string; target: string }
  | { kind: 'unknown-local'; address: string }   // our domain, nobody there
  | { kind: 'remote'; address: string };         // not one of our domains

interface UserRow {
  address: string; domain: string; local: string; password_hash: string; display_name: string;
  quota_bytes: number; enabled: number; created_at: number; updated_at: number; home: string | null;
}

function toUser(r: UserRow): User {
  return {
    address: r.address, domain: r.domain, local: r.local, displayName: r.display_name,
    quotaBytes: r.quota_bytes, enabled: r.enabled === 1, createdAt: r.created_at, updatedAt: r.updated_at,
    home: r.home,
  };
}

/**
 * normalizeAddress() throws a plain Error; user input must fail as an expected,
 * categorised error so callers (CLI, admin HTTP) report it instead of an internal error.
 */
function validAddress(text: string, what: string): string {
  const a = parseAddress(text.trim());
  if (!a) throw new TandemError('MAIL_ERR_INVALID', 'invalid', `${what} "${text}" is not a valid mail address (expected local@domain)`);
  return `${a.local}@${a.domain}`;
}

function notFound(what: string, name: string): TandemError {
  return new TandemError('MAIL_ERR_NOT_FOUND', 'not-found', `${what} ${name} does not exist`);
}

export interface AddUserInput { address: string; password: string; displayName?: string; quotaBytes?: number; enabled?: boolean }
export interface UpdateUserInput {
  displayName?: string; quotaBytes?: number; enabled?: boolean;
  /** Member system holding the mailbox (S7); null: this system. */
  home?: string | null;
}

export class Directory {
  private readonly db: Database;
  /** Prepared statements by SQL text: preparing costs more than a lookup (seen in profiles). */
  private readonly statements = new Map<string, Statement>();

  /** Set on a replication slave (S7): accounts change only on the master named here. */
  private readonly replicaOf: string | null;

  private constructor(db: Database, replicaOf: string | null) {
    this.db = db;
    this.replicaOf = replicaOf;
  }

  /**
   * Account changes on a slave would be overwritten by the master's next change to the
   * same account (or silently diverge), so they are refused with the place to make them.
   */
  private assertWritable(): void {
    if (this.replicaOf !== null) {
      throw new TandemError('MAIL_ERR_REPLICA', 'not-possible', `this system is a replication slave: accounts are managed on the master (${this.replicaOf})`);
    }
  }

  /** The SQLite handle, for the replication feed and its follower (src/mail/replication/). */
  get database(): Database { return this.db; }

  private sql(text: string): Statement {
    let stmt = this.statements.get(text);
    if (!stmt) {
      stmt = this.db.prepare(text);
      this.statements.set(text, stmt);
    }
    return stmt;
  }

  /** Opens (creating and migrating if needed) the accounts database at `file`. */
  static open(file: string, opts: { readonly?: boolean; replicaOf?: string | null } = {}): Directory {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const db = new BetterSqlite3(file, { readonly: opts.readonly ?? false });
    db.pragma('busy_timeout = 10000');
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      migrate(db);
    }
    return new Directory(db, opts.replicaOf ?? null);
  }

  close(): void {
    this.db.close();
  }

  // ---- domains -------------------------------------------------------------

  addDomain(name: string): Domain {
    this.assertWritable();
    const domain = normalizeDomain(name);
    if (!isValidDomain(domain)) throw new TandemError('MAIL_ERR_INVALID', 'invalid', `"${name}" is not a valid domain name`);
    if (this.getDomain(domain)) throw new TandemError('MAIL_ERR_EXISTS', 'exists', `domain ${domain} already exists`);
    const now = Date.now();
    this.sql('INSERT INTO domains (name, catchall, created_at) VALUES (?, NULL, ?)').run(domain, now);
    return { name: domain, catchall: null, createdAt: now };
  }

  getDomain(name: string): Domain | null {
    const r = this.sql('SELECT name, catchall, created_at FROM domains WHERE name = ?').get(normalizeDomain(name)) as
      { name: string; catchall: string | null; created_at: number } | undefined;
    return r ? { name: r.name, catchall: r.catchall, createdAt: r.created_at } : null;
  }

  listDomains(): Domain[] {
    return (this.sql('SELECT name, catchall, created_at FROM domains ORDER BY name').all() as
      Array<{ name: string; catchall: string | null; created_at: number }>)
      .map((r) => ({ name: r.name, catchall: r.catchall, createdAt: r.created_at }));
  }

  isLocalDomain(name: string): boolean {
    return this.getDomain(name) !== null;
  }

  /** Deletes a domain; refuses while it still has users, aliases or lists. */
  deleteDomain(name: string): void {
    this.assertWritable();
    const domain = normalizeDomain(name);
    if (!this.getDomain(domain)) throw notFound('domain', domain);
    const count = (table: string) => (this.sql(`SELECT count(*) AS n FROM ${table} WHERE domain = ?`).get(domain) as { n: number }).n;
    const inUse = { users: count('users'), aliases: count('aliases'), lists: count('lists') };
    if (inUse.users + inUse.aliases + inUse.lists > 0) {
      throw new TandemError('MAIL_ERR_IN_USE', 'not-possible',
        `domain ${domain} still has ${inUse.users} users, ${inUse.aliases} aliases and ${inUse.lists} lists; delete them first`);
    }
    this.sql('DELETE FROM domains WHERE name = ?').run(domain);
  }

  /** Sets (or clears with null) the catch-all target of a domain. */
  setCatchall(name: string, target: string | null): void {
    this.assertWritable();
    const domain = normalizeDomain(name);
    if (!this.getDomain(domain)) throw notFound('domain', domain);
    const t = target === null ? null : validAddress(target, 'catch-all');
    this.sql('UPDATE domains SET catchall = ? WHERE name = ?').run(t, domain);
  }

  // ---- users ---------------------------------------------------------------

  private requireLocalFreeAddress(text: string): { address: string; domain: string; local: string } {
    const parsed = parseAddress(text.trim());
    if (!parsed) throw new TandemError('MAIL_ERR_INVALID', 'invalid', `"${text}" is not a valid mail address`);
    const address = `${parsed.local}@${parsed.domain}`;
    if (!this.getDomain(parsed.domain)) {
      throw new TandemError('MAIL_ERR_NOT_FOUND', 'not-found', `domain ${parsed.domain} is not a local domain; add it first with "tandem mail domain add ${parsed.domain}"`);
    }
    const taken = this.sql(`
      SELECT 'user' AS kind FROM users WHERE address = ? UNION ALL
      SELECT 'alias' FROM aliases WHERE address = ? UNION ALL
      SELECT 'list' FROM lists WHERE address = ?`).get(address, address, address) as { kind: string } | undefined;
    if (taken) throw new TandemError('MAIL_ERR_EXISTS', 'exists', `${address} already exists as ${taken.kind === 'alias' ? 'an' : 'a'} ${taken.kind}`);
    return { address, domain: parsed.domain, local: parsed.local };
  }

  async addUser(input: AddUserInput): Promise<User> {
    this.assertWritable();
    validatePasswordText(input.password);
    const { address, domain, local } = this.requireLocalFreeAddress(input.address);
    const hash = await hashPassword(input.password);
    const now = Date.now();
    const quota = input.quotaBytes ?? 0;
    if (!Number.isInteger(quota) || quota < 0) throw new TandemError('MAIL_ERR_INVALID', 'invalid', `quota must be a whole number of bytes >= 0, got ${quota}`);
    // Re-check inside the insert: hashing is async, another writer may have raced us.
    this.requireLocalFreeAddress(address);
    this.sql(`INSERT INTO users (address, domain, local, password_hash, display_name, quota_bytes, enabled, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(address, domain, local, hash, input.displayName ?? '', quota, input.enabled === false ? 0 : 1, now, now);
    return this.getUser(address)!;
  }

  getUser(address: string): User | null {
    const a = parseAddress(address.trim());
    if (!a) return null;
    const r = this.sql('SELECT * FROM users WHERE address = ?').get(`${a.local}@${a.domain}`) as UserRow | undefined;
    return r ? toUser(r) : null;
  }

  listUsers(domain?: string): User[] {
    const rows = domain
      ? this.sql('SELECT * FROM users WHERE domain = ? ORDER BY address').all(normalizeDomain(domain))
      : this.sql('SELECT * FROM users ORDER BY address').all();
    return (rows as UserRow[]).map(toUser);
  }

  updateUser(address: string, changes: UpdateUserInput): User {
    this.assertWritable();
    const user = this.getUser(address);
    if (!user) throw notFound('user', address);
    if (changes.quotaBytes !== undefined && (!Number.isInteger(changes.quotaBytes) || changes.quotaBytes < 0)) {
      throw new TandemError('MAIL_ERR_INVALID', 'invalid', `quota must be a whole number of bytes >= 0, got ${changes.quotaBytes}`);
    }
    if (changes.home !== undefined && changes.home !== null && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(changes.home)) {
      throw new TandemError('MAIL_ERR_INVALID', 'invalid', `home system "${changes.home}" must be 1-63 lower-case letters, digits or -`);
    }
    this.sql('UPDATE users SET display_name = ?, quota_bytes = ?, enabled = ?, home = ?, updated_at = ? WHERE address = ?').run(
      changes.displayName ?? user.displayName,
      changes.quotaBytes ?? user.quotaBytes,
      (changes.enabled ?? user.enabled) ? 1 : 0,
      changes.home !== undefined ? changes.home : user.home ?? null,
      Date.now(),
      user.address,
    );
    return this.getUser(user.address)!;
  }

  async setPassword(address: string, password: string): Promise<void> {
    this.assertWritable();
    validatePasswordText(password);
    const user = this.getUser(address);
    if (!user) throw notFound('user', address);
    const hash = await hashPassword(password);
    this.sql('UPDATE users SET password_hash = ?, updated_at = ? WHERE address = ?').run(hash, Date.now(), user.address);
  }

  /** Deletes a user from the directory (the Maildir stays on disk; see docs/operate.md). */
  deleteUser(address: string): void {
    this.assertWritable();
    const user = this.getUser(address);
    if (!user) throw notFound('user', address);
    this.sql('DELETE FROM users WHERE address = ?').run(user.address);
  }

  /**
   * Checks a login. Returns the user when the password matches and the account is
   * enabled, else null. Unknown users cost one scrypt too, so timing does not tell
   * which accounts exist.
   */
  async authenticate(address: string, password: string): Promise<User | null> {
    const a = parseAddress(address.trim());
    const row = a ? this.sql('SELECT * FROM users WHERE address = ?').get(`${a.local}@${a.domain}`) as UserRow | undefined : undefined;
    const ok = await verifyPassword(password, row?.password_hash ?? await dummyPasswordHash());
    if (!row || !ok || row.enabled !== 1) return null;
    return toUser(row);
  }

  // ---- aliases -------------------------------------------------------------

  addAlias(address: string, targets: string[]): Alias {
    this.assertWritable();
    if (targets.length === 0) throw new TandemError('MAIL_ERR_INVALID', 'invalid', 'an alias needs at least one target address');
    const normalized = [...new Set(targets.map((t) => validAddress(t, 'target')))];
    const { address: addr, domain } = this.requireLocalFreeAddress(address);
    if (normalized.includes(addr)) throw new TandemError('MAIL_ERR_INVALID', 'invalid', `alias ${addr} cannot point to itself`);
    this.db.transaction(() => {
      this.sql('INSERT INTO aliases (address, domain, created_at) VALUES (?, ?, ?)').run(addr, domain, Date.now());
      const ins = this.sql('INSERT INTO alias_targets (alias, target) VALUES (?, ?)');
      for (const t of normalized) ins.run(addr, t);
    })();
    return { address: addr, targets: normalized };
  }

  getAlias(address: string): Alias | null {
    const a = parseAddress(address.trim());
    if (!a) return null;
    const addr = `${a.local}@${a.domain}`;
    const row = this.sql('SELECT address FROM aliases WHERE address = ?').get(addr);
    if (!row) return null;
    const targets = (this.sql('SELECT target FROM alias_targets WHERE alias = ? ORDER BY target').all(addr) as Array<{ target: string }>).map((r) => r.target);
    return { address: addr, targets };
  }

  listAliases(domain?: string): Alias[] {
    const rows = (domain
      ? this.sql('SELECT address FROM aliases WHERE domain = ? ORDER BY address').all(normalizeDomain(domain))
      : this.sql('SELECT address FROM aliases ORDER BY address').all()) as Array<{ address: string }>;
    return rows.map((r) => this.getAlias(r.address)!);
  }

  deleteAlias(address: string): void {
    this.assertWritable();
    const alias = this.getAlias(address);
    if (!alias) throw notFound('alias', address);
    this.sql('DELETE FROM aliases WHERE address = ?').run(alias.address);
  }

  /** The addresses a user may use as envelope sender: its own and aliases that reach it. */
  sendersFor(user: User): string[] {
    const aliases = (this.sql('SELECT alias FROM alias_targets WHERE target = ? ORDER BY alias').all(user.address) as Array<{ alias: string }>).map((r) => r.alias);
    return [user.address, ...aliases];
  }

  // ---- mailing lists -------------------------------------------------------

  addList(input: { address: string; description?: string; posting?: PostingPolicy; replyTo?: ReplyToPolicy }): MailingList {
    this.assertWritable();
    const { address, domain } = this.requireLocalFreeAddress(input.address);
    this.sql('INSERT INTO lists (address, domain, description, posting, reply_to, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
      address, domain, input.description ?? '', input.posting ?? 'members', input.replyTo ?? 'sender', Date.now());
    return this.getList(address)!;
  }

  getList(address: string): MailingList | null {
    const a = parseAddress(address.trim());
    if (!a) return null;
    const addr = `${a.local}@${a.domain}`;
    const r = this.sql('SELECT address, description, posting, reply_to FROM lists WHERE address = ?').get(addr) as
      { address: string; description: string; posting: PostingPolicy; reply_to: ReplyToPolicy } | undefined;
    if (!r) return null;
    const members = this.sql('SELECT address, role FROM list_members WHERE list = ? ORDER BY address').all(addr) as ListMember[];
    return { address: r.address, description: r.description, posting: r.posting, replyTo: r.reply_to, members };
  }

  listLists(domain?: string): MailingList[] {
    const rows = (domain
      ? this.sql('SELECT address FROM lists WHERE domain = ? ORDER BY address').all(normalizeDomain(domain))
      : this.sql('SELECT address FROM lists ORDER BY address').all()) as Array<{ address: string }>;
    return rows.map((r) => this.getList(r.address)!);
  }

  updateList(address: string, changes: { description?: string; posting?: PostingPolicy; replyTo?: ReplyToPolicy }): MailingList {
    this.assertWritable();
    const list = this.getList(address);
    if (!list) throw notFound('list', address);
    this.sql('UPDATE lists SET description = ?, posting = ?, reply_to = ? WHERE address = ?').run(
      changes.description ?? list.description, changes.posting ?? list.posting, changes.replyTo ?? list.replyTo, list.address);
    return this.getList(list.address)!;
  }

  deleteList(address: string): void {
    this.assertWritable();
    const list = this.getList(address);
    if (!list) throw notFound('list', address);
    this.sql('DELETE FROM lists WHERE address = ?').run(list.address);
  }

  /** Adds a member (or changes its role when already a member). */
  addListMember(listAddress: string, member: string, role: ListMember['role'] = 'member'): void {
    this.assertWritable();
    const list = this.getList(listAddress);
    if (!list) throw notFound('list', listAddress);
    const m = validAddress(member, 'member');
    if (m === list.address) throw new TandemError('MAIL_ERR_INVALID', 'invalid', `list ${list.address} cannot be a member of itself`);
    this.sql('INSERT INTO list_members (list, address, role) VALUES (?, ?, ?) ON CONFLICT (list, address) DO UPDATE SET role = excluded.role').run(list.address, m, role);
  }

  removeListMember(listAddress: string, member: string): void {
    this.assertWritable();
    const list = this.getList(listAddress);
    if (!list) throw notFound('list', listAddress);
    const res = this.sql('DELETE FROM list_members WHERE list = ? AND address = ?').run(list.address, validAddress(member, 'member'));
    if (res.changes === 0) throw notFound(`member of ${list.address}:`, member);
  }

  // ---- resolution ----------------------------------------------------------

  /** Forwarding and vacation settings of a user (defaults when never set). */
  mailSettings(address: string): MailSettings {
    return mailSettingsFromRow(this.sql(MAIL_SETTINGS_SQL).get(address.toLowerCase()) as MailSettingsRow | undefined);
  }

  /**
   * What one address means here. Sub-addresses ("user+tag@") fall back to the base
   * address when the full one is unknown; catch-alls apply last.
   */
  resolve(addressText: string): Recipient | null {
    const parsed = parseAddress(addressText.trim());
    if (!parsed) return null;
    const address = `${parsed.local}@${parsed.domain}`;
    const domain = this.getDomain(parsed.domain);
    if (!domain) return { kind: 'remote', address };
    const candidates = [address];
    const plus = parsed.local.indexOf('+');
    if (plus > 0) candidates.push(`${parsed.local.slice(0, plus)}@${parsed.domain}`);
    for (const candidate of candidates) {
      const user = this.getUser(candidate);
      if (user) {
        const { forwardTo, keepCopy } = this.mailSettings(user.address);
        return forwardTo.length > 0 ? { kind: 'user', address: candidate, user, forward: { targets: forwardTo, keepCopy } } : { kind: 'user', address: candidate, user };
      }
      const alias = this.getAlias(candidate);
      if (alias) return { kind: 'alias', address: candidate, alias };
      const list = this.getList(candidate);
      if (list) return { kind: 'list', address: candidate, list };
    }
    if (domain.catchall) return { kind: 'catchall', address, target: domain.catchall };
    return { kind: 'unknown-local', address };
  }
}

/** Rejects passwords that cannot be typed safely into every protocol. */
export function validatePasswordText(password: string): void {
  if (password.length < 1) throw new TandemError('MAIL_ERR_INVALID', 'invalid', 'password must not be empty');
  if (password.length > 1024) throw new TandemError('MAIL_ERR_INVALID', 'invalid', `password is ${password.length} characters; at most 1024`);
  // eslint-disable-next-line no-control-regex
  if (/[\x00\r\n]/.test(password)) throw new TandemError('MAIL_ERR_INVALID', 'invalid', 'password must not contain NUL, CR or LF');
}
