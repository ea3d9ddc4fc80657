// Central account management (S7) as admin operations: the slave tokens of a master's
// account feed and where this volume stands (role, versions, the follower's last
// result). One implementation for `tandem mail replication ...` (with --data, or
// through the VIP) and the JSON API. Tokens and status are not accounts: they may be
// handled on any role, so they go to the database directly, not through the Directory's
// slave guard.
import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import type { MailContext } from '../../core/context.ts';
import { createToken, listTokens, revokeToken } from '../../replication/tokens.ts';
import { readFollowState } from '../../replication/apply.ts';
import { databaseId, latestVersion } from '../../replication/changelog.ts';
import { replicationStatusFile } from '../../replication/service.ts';

type Ctx = Pick<MailContext, 'layout' | 'settings' | 'directory' | 'tls'>;
const iso = (ms: number | null) => (ms ? new Date(ms).toISOString() : null);

export interface ReplicationStatus {
  role: string; system: string; databaseId: string; changeLogVersion: number;
  master?: string; masterDatabaseId?: string | null; appliedVersion?: number; follower?: unknown;
}

/** Role, versions, and on a slave the follower's last success and error. */
export async function replicationStatus(ctx: Ctx): Promise<ReplicationStatus> {
  const db = ctx.directory.database;
  const a = ctx.settings.accounts;
  const out: ReplicationStatus = { role: a.role, system: a.system, databaseId: databaseId(db), changeLogVersion: latestVersion(db) };
  if (a.role === 'slave') {
    const state = readFollowState(db);
    out.master = a.master?.url;
    out.masterDatabaseId = state.masterDbId;
    out.appliedVersion = state.version;
    const follower = await readFile(replicationStatusFile(ctx), 'utf8').then((t) => JSON.parse(t) as unknown, () => null);
    out.follower = follower ?? 'no status yet (is "tandem mail serve replication" running?)';
  }
  return out;
}

export function listSlaveTokens(ctx: Ctx): Array<{ name: string; createdAt: string; lastUsedAt: string | null }> {
  return listTokens(ctx.directory.database).map((t) => ({ name: t.name, createdAt: iso(t.createdAt)!, lastUsedAt: iso(t.lastUsedAt) }));
}

/**
 * Makes (or replaces) the token of slave `name`, with the fingerprint of this volume's
 * certificate, which the slave pins (accounts.master.fingerprint).
 */
export function createSlaveToken(ctx: Ctx, name: string, warn: (text: string) => void): { name: string; token: string; fingerprint: string } {
  if (ctx.settings.accounts.role !== 'master') warn(`accounts.role is ${ctx.settings.accounts.role}; slaves can follow only a master`);
  const token = createToken(ctx.directory.database, name);
  return { name, token, fingerprint: new X509Certificate(ctx.tls.cert).fingerprint256 };
}

export function revokeSlaveToken(ctx: Ctx, name: string): void {
  revokeToken(ctx.directory.database, name);
}
