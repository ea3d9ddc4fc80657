// `tandem mail serve replication`: the account directory's replication (S7). On a master
// it serves the change feed; on a slave it follows the master; on a standalone system it
// has nothing to do and says so. It runs in the mail group like the other services, so
// the feed is served and followed only where the group is active, from the VIP.
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { MailContext, RunningService } from '../core/context.ts';
import { parseCidr } from '../../lib/cidr.ts';
import { TandemError } from '../../lib/errors.ts';
import { startFeedServer } from './feed-server.ts';
import { startFollower, normalizeFingerprint } from './follower.ts';

export function replicationStatusFile(ctx: Pick<MailContext, 'layout'>): string {
  return join(ctx.layout.runDir, 'replication-status.json');
}

export async function startReplicationService(ctx: MailContext): Promise<RunningService> {
  const a = ctx.settings.accounts;
  const db = ctx.directory.database;
  if (a.role === 'master' && a.feedPort !== null) {
    const feed = await startFeedServer({
      db, system: a.system, accessNet: a.accessNet.map(parseCidr), tls: ctx.tls,
      host: ctx.settings.listen.address, port: a.feedPort, log: ctx.log,
    });
    ctx.log.info({ event: 'replication.feed', address: feed.address, accessNet: a.accessNet }, `account feed on https://${feed.address}`);
    return { name: 'replication', listening: [feed.address], close: () => feed.close() };
  }
  if (a.role === 'slave' && a.master) {
    const tokenPath = isAbsolute(a.master.tokenFile) ? a.master.tokenFile : join(ctx.layout.cfgDir, a.master.tokenFile);
    const token = (await readFile(tokenPath, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new TandemError('MAIL_ERR_CONFIG', 'invalid', `accounts.master.tokenFile: cannot read ${tokenPath}: ${err.code ?? err.message}`);
    })).trim();
    if (!token) throw new TandemError('MAIL_ERR_CONFIG', 'invalid', `accounts.master.tokenFile: ${tokenPath} is empty`);
    const bind = ctx.settings.listen.address;
    const follower = startFollower({
      db, system: a.system, masterUrl: a.master.url, token,
      fingerprint: a.master.fingerprint ? normalizeFingerprint(a.master.fingerprint) : null,
      waitSeconds: a.master.waitSeconds,
      // Leave from the VIP so the master's accessNet can name one address (S7).
      localAddress: bind === '0.0.0.0' || bind === '::' ? null : bind,
      statusFile: replicationStatusFile(ctx), log: ctx.log,
    });
    return { name: 'replication', listening: [], close: () => follower.stop() };
  }
  ctx.log.info({ event: 'replication.idle', role: a.role }, `accounts role is ${a.role}: nothing to replicate`);
  return { name: 'replication', listening: [], close: async () => {} };
}
