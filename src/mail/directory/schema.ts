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
  {
    version: 3,
    description: 'account replication (S7): change log for the feed, home system per user, replication tokens and state',
    // Triggers record every change in the same transaction as the change itself, so the
    // feed can never miss one whichever code path (CLI, web, password service) made it.
    sql: `
      ALTER TABLE users ADD COLUMN home TEXT;   -- member system holding the mailbox; NULL = this system
      CREATE TABLE account_changes (
        version  INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused, so "since V" is exact
        entity   TEXT NOT NULL CHECK (entity IN ('domain', 'user', 'alias', 'list')),
        key      TEXT NOT NULL
      );
      CREATE INDEX account_changes_key ON account_changes(entity, key);
      CREATE TABLE replication_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO replication_meta (key, value) VALUES ('db_id', lower(hex(randomblob(16))));
      CREATE TABLE replication_tokens (
        name          TEXT PRIMARY KEY,
        secret_hash   TEXT NOT NULL,     -- sha256 of the token (random, 256 bits)
        created_at    INTEGER NOT NULL,
        last_used_at  INTEGER
      );
      CREATE TRIGGER domains_changed_ins AFTER INSERT ON domains BEGIN INSERT INTO account_changes (entity, key) VALUES ('domain', NEW.name); END;
      CREATE TRIGGER domains_changed_upd AFTER UPDATE ON domains BEGIN INSERT INTO account_changes (entity, key) VALUES ('domain', NEW.name); END;
      CREATE TRIGGER domains_changed_del AFTER DELETE ON domains BEGIN INSERT INTO account_changes (entity, key) VALUES ('domain', OLD.name); END;
      CREATE TRIGGER users_changed_ins AFTER INSERT ON users BEGIN INSERT INTO account_changes (entity, key) VALUES ('user', NEW.address); END;
      CREATE TRIGGER users_changed_upd AFTER UPDATE ON users BEGIN INSERT INTO account_changes (entity, key) VALUES ('user', NEW.address); END;
      CREATE TRIGGER users_changed_del AFTER DELETE ON users BEGIN INSERT INTO account_changes (entity, key) VALUES ('user', OLD.address); END;
      CREATE TRIGGER aliases_changed_ins AFTER INSERT ON aliases BEGIN INSERT INTO account_changes (entity, key) VALUES ('alias', NEW.address); END;
      CREATE TRIGGER aliases_changed_upd AFTER UPDATE ON aliases BEGIN INSERT INTO account_changes (entity, key) VALUES ('alias', NEW.address); END;
      CREATE TRIGGER aliases_changed_del AFTER DELETE ON aliases BEGIN INSERT INTO account_changes (entity, key) VALUES ('alias', OLD.address); END;
      CREATE TRIGGER alias_targets_changed_ins AFTER INSERT ON alias_targets BEGIN INSERT INTO account_changes (entity, key) VALUES ('alias', NEW.alias); END;
      CREATE TRIGGER alias_targets_changed_upd AFTER UPDATE ON alias_targets BEGIN INSERT INTO account_changes (entity, key) VALUES ('alias', NEW.alias); END;
      CREATE TRIGGER alias_targets_changed_del AFTER DELETE ON alias_targets BEGIN INSERT INTO account_changes (entity, key) VALUES ('alias', OLD.alias); END;
      CREATE TRIGGER lists_changed_ins AFTER INSERT ON lists BEGIN INSERT INTO account_changes (entity, key) VALUES ('list', NEW.address); END;
      CREATE TRIGGER lists_changed_upd AFTER UPDATE ON lists BEGIN INSERT INTO account_changes (entity, key) VALUES ('list', NEW.address); END;
      CREATE TRIGGER lists_changed_del AFTER DELETE ON lists BEGIN INSERT INTO account_changes (entity, key) VALUES ('list', OLD.address); END;
      CREATE TRIGGER list_members_changed_ins AFTER INSERT ON list_members BEGIN INSERT INTO account_changes (entity, key) VALUES ('list', NEW.list); END;
      CREATE TRIGGER list_members_changed_upd AFTER UPDATE ON list_members BEGIN INSERT INTO account_changes (entity, key) VALUES ('list', NEW.list); END;
      CREATE TRIGGER list_members_changed_del AFTER DELETE ON list_members BEGIN INSERT INTO account_changes (entity, key) VALUES ('list', OLD.list); END;
      INSERT INTO account_changes (entity, key) SELECT 'domain', name FROM domains;
      INSERT INTO account_changes (entity, key) SELECT 'user', address FROM users;
      INSERT INTO account_changes (entity, key) SELECT 'alias', address FROM aliases;
      INSERT INTO account_changes (entity, key) SELECT 'list', address FROM lists;
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
