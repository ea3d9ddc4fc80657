// The web service's own tables in the accounts database (migration 2): who may use the
// admin console, admin API tokens, login sessions, and each user's forwarding and
// vacation settings. A second SQLite connection beside the Directory's (WAL lets them
// share the file); everything lives on the volume, so sessions survive a failover.
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { TandemError } from '../../../lib/errors.ts';

export interface AdminToken { id: string; name: string; createdAt: number; lastUsedAt: number | null }
export interface WebSession { address: string; csrf: string; createdAt: number; expiresAt: number }
// Delivery reads these settings through the Directory (forwarding, vacation replies).
import { DEFAULT_MAIL_SETTINGS, MAIL_SETTINGS_SQL, mailSettingsFromRow, type MailSettings, type MailSettingsRow } from '../../directory/directory.ts';
export { DEFAULT_MAIL_SETTINGS, type MailSettings };

/** API tokens look like `tdm_<id>_<secret>`: the id finds the row, the secret is checked by hash. */
const TOKEN_RE = /^tdm_([a-f0-9]{16})_([A-Za-z0-9_-]{43})$/;

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** A session's last-seen time is written at most this often (one write per page view is waste). */
const SEEN_WRITE_EVERY_MS = 30_000;

export class WebDb {
  private readonly statements = new Map<string, Statement>();

  private constructor(private readonly db: Database) {}

  /** Opens the accounts database; the Directory must have opened (and migrated) it first. */
  static open(file: string): WebDb {
    const db = new BetterSqlite3(file);
    db.pragma('busy_timeout = 10000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version < 2) {
      db.close();
      throw new TandemError('MAIL_ERR_SCHEMA_OLD', 'not-possible', `accounts database has schema ${version}; the web service needs 2 (open it with this Tandem's directory first)`);
    }
    return new WebDb(db);
  }

  close(): void { this.db.close(); }

  private sql(text: string): Statement {
    let stmt = this.statements.get(text);
    if (!stmt) {
      stmt = this.db.prepare(text);
      this.statements.set(text, stmt);
    }
    return stmt;
  }

  // ---- console admins ---------------------------------------------------------

  isAdmin(address: string): boolean {
    return this.sql('SELECT 1 FROM web_admins WHERE address = ?').get(address.toLowerCase()) !== undefined;
  }

  /** Grants or withdraws the console; the user must exist (foreign key). */
  setAdmin(address: string, admin: boolean): void {
    const a = address.toLowerCase();
    if (!admin) {
      this.sql('DELETE FROM web_admins WHERE address = ?').run(a);
      return;
    }
    if (!this.sql('SELECT 1 FROM users WHERE address = ?').get(a)) {
      throw new TandemError('MAIL_ERR_NOT_FOUND', 'not-found', `user ${a} does not exist`);
    }
    this.sql('INSERT INTO web_admins (address, created_at) VALUES (?, ?) ON CONFLICT (address) DO NOTHING').run(a, Date.now());
  }

  listAdmins(): string[] {
    return (this.sql('SELECT address FROM web_admins ORDER BY address').all() as Array<{ address: string }>).map((r) => r.address);
  }

  // ---- API tokens -------------------------------------------------------------

  /** Makes a token; the full token is returned once and only its hash is stored. */
  createToken(name: string): { id: string; token: string } {
    const label = name.trim();
    if (label === '' || label.length > 100) throw new TandemError('MAIL_ERR_INVALID', 'invalid', 'a token name must have 1 to 100 characters');
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    this.sql('INSERT INTO admin_tokens (id, name, secret_hash, created_at) VALUES (?, ?, ?, ?)').run(id, label, sha256(secret).toString('hex'), Date.now());
    return { id, token: `tdm_${id}_${secret}` };
  }

  listTokens(): AdminToken[] {
    return (this.sql('SELECT id, name, created_at, last_used_at FROM admin_tokens ORDER BY created_at, id').all() as
      Array<{ id: string; name: string; created_at: number; last_used_at: number | null }>)
      .map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, lastUsedAt: r.last_used_at }));
  }

  revokeToken(id: string): void {
    const res = this.sql('DELETE FROM admin_tokens WHERE id = ?').run(id);
    if (res.changes === 0) throw new TandemError('MAIL_ERR_NOT_FOUND', 'not-found', `no admin token with id ${id}`);
  }

  /** The token's id and name when it is valid, else null. */
  verifyToken(token: string): { id: string; name: string } | null {
    const m = TOKEN_RE.exec(token);
    if (!m) return null;
    const row = this.sql('SELECT id, name, secret_hash, last_used_at FROM admin_tokens WHERE id = ?').get(m[1]!) as
      { id: string; name: string; secret_hash: string; last_used_at: number | null } | undefined;
    if (!row) return null;
    const expected = Buffer.from(row.secret_hash, 'hex');
    const given = sha256(m[2]!);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    const now = Date.now();
    if (row.last_used_at === null || now - row.last_used_at > SEEN_WRITE_EVERY_MS) {
      this.sql('UPDATE admin_tokens SET last_used_at = ? WHERE id = ?').run(now, row.id);
    }
    return { id: row.id, name: row.name };
  }

  // ---- sessions ---------------------------------------------------------------

  /** Starts a session; returns the cookie value (stored only as a hash) and its CSRF token. */
  createSession(address: string, now: number, maxAgeMs: number): { cookie: string; csrf: string } {
    const cookie = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    this.sql('INSERT INTO web_sessions (id_hash, address, csrf, created_at, seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(sha256(cookie).toString('hex'), address.toLowerCase(), csrf, now, now, now + maxAgeMs);
    return { cookie, csrf };
  }

  /** The live session of a cookie, or null (unknown, expired, or idle too long: then deleted). */
  session(cookie: string, now: number, idleMs: number): WebSession | null {
    if (cookie.length > 100) return null;
    const key = sha256(cookie).toString('hex');
    const r = this.sql('SELECT address, csrf, created_at, seen_at, expires_at FROM web_sessions WHERE id_hash = ?').get(key) as
      { address: string; csrf: string; created_at: number; seen_at: number; expires_at: number } | undefined;
    if (!r) return null;
    if (now >= r.expires_at || now - r.seen_at >= idleMs) {
      this.sql('DELETE FROM web_sessions WHERE id_hash = ?').run(key);
      return null;
    }
    if (now - r.seen_at > SEEN_WRITE_EVERY_MS) this.sql('UPDATE web_sessions SET seen_at = ? WHERE id_hash = ?').run(now, key);
    return { address: r.address, csrf: r.csrf, createdAt: r.created_at, expiresAt: r.expires_at };
  }

  endSession(cookie: string): void {
    this.sql('DELETE FROM web_sessions WHERE id_hash = ?').run(sha256(cookie).toString('hex'));
  }

  /** Ends every session of a user (after a password change or reset, or when disabled). */
  endSessionsOf(address: string, exceptCookie?: string): void {
    const keep = exceptCookie ? sha256(exceptCookie).toString('hex') : '';
    this.sql('DELETE FROM web_sessions WHERE address = ? AND id_hash != ?').run(address.toLowerCase(), keep);
  }

  purgeSessions(now: number, idleMs: number): number {
    return this.sql('DELETE FROM web_sessions WHERE expires_at <= ? OR seen_at <= ?').run(now, now - idleMs).changes;
  }

  // ---- forwarding and vacation ------------------------------------------------

  mailSettings(address: string): MailSettings {
    return mailSettingsFromRow(this.sql(MAIL_SETTINGS_SQL).get(address.toLowerCase()) as MailSettingsRow | undefined);
  }

  setMailSettings(address: string, s: MailSettings): void {
    this.sql(`INSERT INTO user_mail_settings (address, forward_to, keep_copy, vacation_enabled, vacation_subject, vacation_body, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (address) DO UPDATE SET forward_to = excluded.forward_to, keep_copy = excluded.keep_copy,
      vacation_enabled = excluded.vacation_enabled, vacation_subject = excluded.vacation_subject, vacation_body = excluded.vacation_body,
      updated_at = excluded.updated_at`).run(address.toLowerCase(), s.forwardTo.join(','), s.keepCopy ? 1 : 0,
      s.vacation.enabled ? 1 : 0, s.vacation.subject, s.vacation.body, Date.now());
  }
}
