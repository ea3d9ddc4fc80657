// The slave's side of the account feed: applies one validated batch in one transaction,
// together with the version it brings the slave to, so a crash leaves either the old
// state and version or the new ones, never a mix.
//
// Rows are upserted, never deleted and re-inserted: deleting a user would cascade to its
// web sessions and mail settings, which are the slave's own.
import type { Database } from 'better-sqlite3';
import type { Batch, Change, Entity, UserRecord, AliasRecord, ListRecord, DomainRecord } from './records.ts';

export interface FollowState {
  /** The master database this slave follows (null: never synchronised). */
  readonly masterDbId: string | null;
  readonly version: number;
}

export function readFollowState(db: Database): FollowState {
  const get = (key: string): string | undefined =>
    (db.prepare('SELECT value FROM replication_meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  return { masterDbId: get('master_db_id') ?? null, version: Number(get('master_version') ?? 0) };
}

export interface ApplySummary { readonly upserted: number; readonly deleted: number; readonly version: number }

/** Applies `batch` (already validated) on a slave whose own system name is `system`. */
export function applyBatch(db: Database, batch: Batch, system: string): ApplySummary {
  return db.transaction((): ApplySummary => {
    // Order inside a batch is by version, not by dependency (a user may come before its
    // new domain): foreign keys are checked at commit instead.
    db.pragma('defer_foreign_keys = ON');
    let upserted = 0;
    let deleted = 0;
    const order: Entity[] = ['domain', 'user', 'alias', 'list'];
    const byEntity = (e: Entity): Change[] => batch.changes.filter((c) => c.entity === e);
    for (const entity of order) {
      for (const c of byEntity(entity)) {
        if (c.record === null) continue;
        upsert(db, c, system);
        upserted++;
      }
    }
    // Deletions dependents first, so a domain goes after the accounts in it.
    for (const entity of [...order].reverse()) {
      for (const c of byEntity(entity)) {
        if (c.record !== null) continue;
        deleted += remove(db, entity, c.key);
      }
    }
    if (batch.full) deleted += removeUnlisted(db, batch);
    const put = db.prepare('INSERT INTO replication_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    put.run('master_db_id', batch.dbId);
    put.run('master_version', String(batch.version));
    return { upserted, deleted, version: batch.version };
  }).immediate();
}

function upsert(db: Database, c: Change, system: string): void {
  switch (c.entity) {
    case 'domain': return upsertDomain(db, c.record!);
    case 'user': return upsertUser(db, c.record!, system);
    case 'alias': return upsertAlias(db, c.record!);
    case 'list': return upsertList(db, c.record!);
  }
}

function upsertDomain(db: Database, d: DomainRecord): void {
  db.prepare(`INSERT INTO domains (name, catchall, created_at) VALUES (?, ?, ?)
    ON CONFLICT(name) DO UPDATE SET catchall = excluded.catchall`).run(d.name, d.catchall, d.createdAt);
}

function upsertUser(db: Database, u: UserRecord, system: string): void {
  // On the wire home always names a system; here NULL means "this system".
  const home = u.home === system ? null : u.home;
  db.prepare(`INSERT INTO users (address, domain, local, password_hash, display_name, quota_bytes, enabled, created_at, updated_at, home)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT(address) DO UPDATE SET domain = excluded.domain, local = excluded.local, password_hash = excluded.password_hash,
      display_name = excluded.display_name, quota_bytes = excluded.quota_bytes, enabled = excluded.enabled,
      created_at = excluded.created_at, updated_at = excluded.updated_at, home = excluded.home`)
    .run(u.address, u.domain, u.local, u.passwordHash, u.displayName, u.quotaBytes, u.enabled ? 1 : 0, u.createdAt, u.updatedAt, home);
}

function upsertAlias(db: Database, a: AliasRecord): void {
  db.prepare(`INSERT INTO aliases (address, domain, created_at) VALUES (?, ?, ?)
    ON CONFLICT(address) DO UPDATE SET domain = excluded.domain`).run(a.address, a.domain, a.createdAt);
  db.prepare('DELETE FROM alias_targets WHERE alias = ?').run(a.address);
  const add = db.prepare('INSERT INTO alias_targets (alias, target) VALUES (?, ?)');
  for (const t of a.targets) add.run(a.address, t);
}

function upsertList(db: Database, l: ListRecord): void {
  db.prepare(`INSERT INTO lists (address, domain, description, posting, reply_to, created_at) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT(address) DO UPDATE SET domain = excluded.domain, description = excluded.description,
      posting = excluded.posting, reply_to = excluded.reply_to`).run(l.address, l.domain, l.description, l.posting, l.replyTo, l.createdAt);
  db.prepare('DELETE FROM list_members WHERE list = ?').run(l.address);
  const add = db.prepare('INSERT INTO list_members (list, address, role) VALUES (?, ?, ?)');
  for (const m of l.members) add.run(l.address, m.address, m.role);
}

const TABLE: Record<Entity, { table: string; column: string }> = {
  domain: { table: 'domains', column: 'name' },
  user: { table: 'users', column: 'address' },
  alias: { table: 'aliases', column: 'address' },
  list: { table: 'lists', column: 'address' },
};

function remove(db: Database, entity: Entity, key: string): number {
  const { table, column } = TABLE[entity];
  return db.prepare(`DELETE FROM ${table} WHERE ${column} = ?`).run(key).changes;
}

/** After a full snapshot: whatever the master no longer has goes here too. */
function removeUnlisted(db: Database, batch: Batch): number {
  let n = 0;
  for (const entity of ['list', 'alias', 'user', 'domain'] as const) {
    const keep = new Set(batch.changes.filter((c) => c.entity === entity && c.record !== null).map((c) => c.key));
    const { table, column } = TABLE[entity];
    for (const row of db.prepare(`SELECT ${column} AS k FROM ${table}`).all() as Array<{ k: string }>) {
      if (!keep.has(row.k)) n += remove(db, entity, row.k);
    }
  }
  return n;
}
