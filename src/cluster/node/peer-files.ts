// The `sync` agent's transport (PeerFiles in agents/agent.ts): pushes files to the group's
// other reachable nodes over the signed node channel, and the receiving side, which writes
// a file durably at the same path ONLY when that path is listed in a `sync` resource of its
// own configuration, and refuses anything else with a reason.
import { dirname, isAbsolute, normalize } from 'node:path';
import type { ClusterConfig } from '../model/config-schema.ts';
import type { PeerFiles, SyncedFile } from '../agents/agent.ts';
import { mkdirDurable } from '../../lib/durable.ts';
import { writeSyncedFile, SYNC_MAX_BYTES } from '../agents/sync.ts';

/** What travels: the file with its data in base64. */
export interface FileMessage {
  readonly group: string;
  readonly resource: string;
  readonly path: string;
  readonly data: string;
  readonly mode: number;
  readonly mtimeMs: number;
}

export const MAX_SYNC_FILE_BYTES = SYNC_MAX_BYTES;

export type Sender = (node: string, message: FileMessage, signal: AbortSignal) => Promise<{ ok: boolean; reason: string }>;

export class ChannelPeerFiles implements PeerFiles {
  constructor(private readonly config: ClusterConfig, private readonly self: string, private readonly reachable: (node: string) => boolean, private readonly send: Sender) {}

  async push(group: string, resource: string, files: readonly SyncedFile[], signal: AbortSignal): Promise<Array<{ node: string; ok: boolean; reason: string }>> {
    const g = this.config.groups.find((x) => x.name === group);
    const peers = (g?.nodes ?? []).filter((n) => n !== this.self && this.reachable(n));
    return Promise.all(peers.map(async (node) => {
      for (const f of files) {
        if (f.data.length > MAX_SYNC_FILE_BYTES) return { node, ok: false, reason: `${f.path} is larger than ${MAX_SYNC_FILE_BYTES} bytes` };
        const r = await this.send(node, { group, resource, path: f.path, data: f.data.toString('base64'), mode: f.mode, mtimeMs: f.mtimeMs }, signal);
        if (!r.ok) return { node, ok: false, reason: `${f.path}: ${r.reason}` };
      }
      return { node, ok: true, reason: `${files.length} file(s) written` };
    }));
  }
}

/** The sync resources of our own config that list `path` (normalized, absolute). */
export function syncAllows(config: ClusterConfig, path: string): boolean {
  if (!isAbsolute(path) || normalize(path) !== path) return false;
  return config.groups.some((g) => g.resources.some((r) => r.type === 'sync' && r.params.paths.includes(path)));
}

/** Receives one file; the reason names why a refused file was refused. */
export async function receiveFile(config: ClusterConfig, msg: FileMessage): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (typeof msg.path !== 'string' || typeof msg.data !== 'string') return { ok: false, reason: 'malformed file message' };
  if (!syncAllows(config, msg.path)) return { ok: false, reason: `${msg.path} is not listed in any sync resource of this node's configuration` };
  const data = Buffer.from(msg.data, 'base64');
  if (data.length > MAX_SYNC_FILE_BYTES) return { ok: false, reason: `file larger than ${MAX_SYNC_FILE_BYTES} bytes` };
  try {
    await mkdirDurable(dirname(msg.path), 0o755);
  } catch (err) {
    return { ok: false, reason: `cannot create ${dirname(msg.path)}: ${(err as Error).message}` };
  }
  // The sync agent's writer: temp file with mode and mtime, fsync, rename, directory fsync.
  const mode = Number.isInteger(msg.mode) ? msg.mode & 0o7777 : 0o600;
  const mtimeMs = Number.isFinite(msg.mtimeMs) ? msg.mtimeMs : Date.now();
  const refused = await writeSyncedFile({ path: msg.path, data, mode, mtimeMs }, [msg.path]);
  return refused === null ? { ok: true } : { ok: false, reason: `write failed: ${refused}` };
}
