// Slave tokens of the account feed. A token is `NAME.SECRET`: the name says which slave
// it is (for the log and `token list`), the 256-bit secret proves it. Only a SHA-256 of
// the secret is stored: a random secret that long needs no slow hash, and a stolen
// database then gives no usable token.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { TandemError } from '../../lib/errors.ts';

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface TokenInfo { readonly name: string; readonly createdAt: number; readonly lastUsedAt: number | null }

function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Makes (or replaces) the token of slave `name`; the token is shown once, never stored. */
export function createToken(db: Database, name: string): string {
  if (!NAME.test(name)) throw new TandemError('MAIL_ERR_INVALID', 'invalid', `token name "${name}" must be 1-63 lower-case letters, digits or -`);
  const secret = randomBytes(32).toString('base64url');
  db.prepare(`INSERT INTO replication_tokens (name, secret_hash, created_at) VALUES (?, ?, ?)
    ON CONFLICT(name) DO UPDATE SET secret_hash = excluded.secret_hash, created_at = excluded.created_at, last_used_at = NULL`)
    .run(name, digest(secret), Date.now());
  return `${name}.${secret}`;
}

export function listTokens(db: Database): TokenInfo[] {
  return (db.prepare('SELECT name, created_at, last_used_at FROM replication_tokens ORDER BY name').all() as
    Array<{ name: string; created_at: number; last_used_at: number | null }>).map((r) => ({ name: r.name, createdAt: r.created_at, lastUsedAt: r.last_used_at }));
}

export function revokeToken(db: Database, name: string): void {
  if (db.prepare('DELETE FROM replication_tokens WHERE name = ?').run(name).changes === 0) {
    throw new TandemError('MAIL_ERR_NOT_FOUND', 'not-found', `no replication token named ${name}`);
  }
}

/** The slave's name when `token` is valid, else null. Records the use at most once a minute. */
export function verifyToken(db: Database, token: string, nowMs = Date.now()): string | null {
  const dot = token.indexOf('.');
  if (dot <= 0) return null;
  const name = token.slice(0, dot);
  const row = db.prepare('SELECT secret_hash, last_used_at FROM replication_tokens WHERE name = ?').get(name) as { secret_hash: string; last_used_at: number | null } | undefined;
  const expected = Buffer.from(row?.secret_hash ?? digest('no such token'), 'hex');
  const ok = timingSafeEqual(expected, Buffer.from(digest(token.slice(dot + 1)), 'hex'));
  if (!row || !ok) return null;
  if (row.last_used_at === null || nowMs - row.last_used_at > 60_000) {
    db.prepare('UPDATE replication_tokens SET last_used_at = ? WHERE name = ?').run(nowMs, name);
  }
  return name;
}
