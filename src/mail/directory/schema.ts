// The accounts database schema and its migrations. PRAGMA user_version holds the
// schema version; each migration runs once, in a transaction, in order.
import type { Database } from 'better-sqlite3';
import { TandemError } from '../../lib/errors.ts';

const MIGRATIONS: ReadonlyArray<{ version: number; description: string; sql: string }> = [
  {
    version: 1,
    description: 'domains, users, aliases, mailing lists',
    sql: `
      CREATE TABLE domains (
        name        TEXT PRIMARY KEY,
        catchall    TEXT,               -- address receiving mail for unknown local parts
        created_at  INTEGER NOT NULL
      );
      CREATE TABLE users (
        address       TEXT PRIMARY KEY,  -- normalised local@domain
        domain        TEXT NOT NULL REFERENCES domains(name) ON DELETE RESTRICT,
        local         TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        display_name  TEXT NOT NULL DEFAULT '',
        quota_bytes   INTEGER NOT NULL DEFAULT 0,   -- 0 = unlimited
        enabled       INTEGER NOT NULL DEFAULT 1,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
      );
      CREATE INDEX users_domain ON users(domain);
      CREATE TABLE aliases (
        address     TEXT PRIMARY KEY,
        domain      TEXT NOT NULL REFERENCES domains(name) ON DELETE RESTRICT,
        created_at  INTEGER NOT NULL
      );
      CREATE TABLE alias_targets (
        alias   TEXT NOT NULL REFERENCES aliases(address) ON DELETE CASCADE,
        target  TEXT NOT NULL,
        PRIMARY KEY (alias, target)
      );
      CREATE TABLE lists (
        address      TEXT PRIMARY KEY,
        domain       TEXT NOT NULL REFERENCES domains(name) ON DELETE RESTRICT,
        description  TEXT NOT NULL DEFAULT '',
        posting      TEXT NOT NULL DEFAULT 'members' CHECK (posting IN ('members', 'anyone', 'moderators')),
        reply_to     TEXT NOT NULL DEFAULT 'sender' CHECK (reply_to IN ('sender', 'list')),
        created_at   INTEGER NOT NULL
      );
      CREATE TABLE list_members (
        list     TEXT NOT NULL REFERENCES lists(address) ON DELETE CASCADE,
        address  TEXT NOT NULL,
        role     TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'moderator')),
        PRIMARY KEY (list, address)
      );
    `,
  },
  {
    version: 2,
    description: 'web: console admins, admin API tokens, web sessions, per-user forwarding and vacation',
    sql: `
      CREATE TABLE web_admins (
        address     TEXT PRIMARY KEY REFERENCES users(address) ON DELETE CASCADE,
        created_at  INTEGER NOT NULL
      );
      CREATE TABLE admin_tokens (
        id            TEXT PRIMARY KEY,  -- public part, shown in lists
        name          TEXT NOT NULL,
        secret_hash   TEXT NOT NULL,     -- sha256 of the secret part (the secret is random, 256 bits)
        created_at    INTEGER NOT NULL,
        last_used_at  INTEGER
      );
      CREATE TABLE web_sessions (
        id_hash     TEXT PRIMARY KEY,    -- sha256 of the cookie value
        address     TEXT NOT NULL REFERENCES users(address) ON DELETE CASCADE,
        csrf        TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        seen_at     INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL
      );
      CREATE INDEX web_sessions_expires ON web_sessions(expires_at);
      CREATE TABLE user_mail_settings (
        address           TEXT PRIMARY KEY REFERENCES users(address) ON DELETE CASCADE,
        forward_to        TEXT NOT NULL DEFAULT '',   -- comma-separated addresses
        keep_copy         INTEGER NOT NULL DEFAULT 1,
        vacation_enabled  INTEGER NOT NULL DEFAULT 0,
        vacation_subject  TEXT NOT NULL DEFAULT '',
        vacation_body     TEXT NOT NULL DEFAULT '',
        updated_at        INTEGER NOT NULL
      );
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Brings the database to the current schema. Refuses a database newer than this code. */
export function migrate(db: Database): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > SCHEMA_VERSION) {
    throw new TandemError('MAIL_ERR_SCHEMA_NEWER', 'not-possible', `accounts database has schema ${from}, newer than this Tandem (${SCHEMA_VERSION}): upgrade Tandem first`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= from) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return { from, to: SCHEMA_VERSION };
}
