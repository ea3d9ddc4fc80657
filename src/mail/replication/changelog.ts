// The master's side of the account feed: reads the change log (filled by triggers, see
// directory/schema.ts migration 3) and turns it into batches of current account state.
// Every read runs in one SQLite read transaction, so a batch is a consistent snapshot.
import type { Database } from 'better-sqlite3';
import { BATCH_LIMIT, type Batch, type Change, type Entity, type DomainRecord, type UserRecord, type AliasRecord, type ListRecord } from './records.ts';

export interface FeedRequest {
  /** The slave's version (0: it has nothing yet). */
  readonly since: number;
  /** The master database the slave's version refers to (null: none yet). */
  readonly dbId: string | null;
  /** This (the master's) system name: the home of users whose home column is empty. */
  readonly system: string;
  readonly limit?: number;
}

export function databaseId(db: Database): string {
  const row = db.prepare("SELECT value FROM replication_meta WHERE key = 'db_id'").get() as { value: string } | undefined;
  if (!row) throw new Error('accounts database has no replication id (schema older than 3?)');
  return row.value;
}

export function latestVersion(db: Database): number {
  const row = db.prepare('SELECT MAX(version) AS v FROM account_changes').get() as { v: number | null };
  return row.v ?? 0;
}

/**
 * The batch a slave at `since` needs next. A slave that knows another database, or claims
 * a version this database never reached (the master was restored from a backup), gets a
 * full snapshot instead: incremental changes would be relative to a history it lacks.
 */
export function readBatch(db: Database, req: FeedRequest): Batch {
  return db.transaction((): Batch => {
    const dbId = databaseId(db);
    const latest = latestVersion(db);
    if (req.dbId !== dbId || req.since > latest) return fullSnapshot(db, dbId, req.system, latest);
    const limit = req.limit ?? BATCH_LIMIT;
    // The latest change of each account after `since`, oldest first: a batch cut at the
    // limit ends at a version below which nothing is left out.
    const rows = db.prepare(`SELECT entity, key, MAX(version) AS v FROM account_changes WHERE version > ?
      GROUP BY entity, key ORDER BY v LIMIT ?`).all(req.since, limit + 1) as Array<{ entity: Entity; key: string; v: number }>;
    const more = rows.length > limit;
    const taken = more ? rows.slice(0, limit) : rows;
    const version = more ? taken[taken.length - 1]!.v : latest;
    const changes = taken.map((r) => currentState(db, r.entity, r.key, req.system));
    return { dbId, system: req.system, version, full: false, more, changes };
  }).deferred();
}

function fullSnapshot(db: Database, dbId: string, system: string, latest: number): Batch {
  const changes: Change[] = [];
  for (const { name } of db.prepare('SELECT name FROM domains ORDER BY name').all() as Array<{ name: string }>) changes.push(currentState(db, 'domain', name, system));
  for (const { address } of db.prepare('SELECT address FROM users ORDER BY address').all() as Array<{ address: string }>) changes.push(currentState(db, 'user', address, system));
  for (const { address } of db.prepare('SELECT address FROM aliases ORDER BY address').all() as Array<{ address: string }>) changes.push(currentState(db, 'alias', address, system));
  for (const { address } of db.prepare('SELECT address FROM lists ORDER BY address').all() as Array<{ address: string }>) changes.push(currentState(db, 'list', address, system));
  return { dbId, system, version: latest, full: true, more: false, changes };
}

function currentState(db: Database, entity: Entity, key: string, system: string): Change {
  switch (entity) {
    case 'domain': return { entity, key, record: domainRecord(db, key) };
    case 'user': return { entity, key, record: userRecord(db, key, system) };
    case 'alias': return { entity, key, record: aliasRecord(db, key) };
    case 'list': return { entity, key, record: listRecord(db, key) };
  }
}

function domainRecord(db: Database, name: string): DomainRecord | null {
  const r = db.prepare('SELECT name, catchall, created_at FROM domains WHERE name = ?').get(name) as { name: string; catchall: string | null; created_at: number } | undefined;
  return r ? { name: r.name, catchall: r.catchall, createdAt: r.created_at } : null;
}

interface UserRow {
  address: string; domain: string; local: string; password_hash: string; display_name: string;
  quota_bytes: number; enabled: number; created_at: number; updated_at: number; home: string | null;
}

function userRecord(db: Database, address: string, system: string): UserRecord | null {
  const r = db.prepare('SELECT * FROM users WHERE address = ?').get(address) as UserRow | undefined;
  if (!r) return null;
  return {
    address: r.address, domain: r.domain, local: r.local, passwordHash: r.password_hash, displayName: r.display_name,
    quotaBytes: r.quota_bytes, enabled: r.enabled === 1, createdAt: r.created_at, updatedAt: r.updated_at,
    home: r.home ?? system,
  };
}

function aliasRecord(db: Database, address: string): AliasRecord | null {
  const r = db.prepare('SELECT address, domain, created_at FROM aliases WHERE address = ?').get(address) as { address: string; domain: string; created_at: number } | undefined;
  if (!r) return null;
  const targets = (db.prepare('SELECT target FROM alias_targets WHERE alias = ? ORDER BY target').all(address) as Array<{ target: string }>).map((t) => t.target);
  // An alias row without targets exists only inside a transaction that is adding them.
  if (targets.length === 0) return null;
  return { address: r.address, domain: r.domain, createdAt: r.created_at, targets };
}

function listRecord(db: Database, address: string): ListRecord | null {
  const r = db.prepare('SELECT * FROM lists WHERE address = ?').get(address) as
    { address: string; domain: string; description: string; posting: ListRecord['posting']; reply_to: ListRecord['replyTo']; created_at: number } | undefined;
  if (!r) return null;
  const members = db.prepare('SELECT address, role FROM list_members WHERE list = ? ORDER BY address').all(address) as ListRecord['members'];
  return { address: r.address, domain: r.domain, description: r.description, posting: r.posting, replyTo: r.reply_to, createdAt: r.created_at, members };
}

/**
 * Drops log entries superseded by a later change of the same account. Safe at any time:
 * a batch sends an account's current state, so only its latest entry matters.
 */
export function compactChangeLog(db: Database): number {
  return db.prepare(`DELETE FROM account_changes WHERE version < (
    SELECT MAX(c2.version) FROM account_changes c2 WHERE c2.entity = account_changes.entity AND c2.key = account_changes.key)`).run().changes;
}
