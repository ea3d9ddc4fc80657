// The master's account feed over HTTPS (S7): GET /replication/v1/changes?since=V&db=ID&wait=S
// answers the next batch, holding the request open up to `wait` seconds when there is
// nothing new (long poll), so a slave learns of a change within the 200 ms check interval without
// polling hard. Access needs both a client address inside `accounts.accessNet` and a valid
// slave token; the order of the checks means a stranger learns nothing about tokens.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Database } from 'better-sqlite3';
import type { Logger } from '../../lib/log.ts';
import { inAnyNetwork, normalizeIp, type Cidr } from '../../lib/cidr.ts';
import { LoginThrottle } from '../../lib/login-throttle.ts';
import { FEED_PATH } from './records.ts';
import { readBatch, latestVersion, databaseId, compactChangeLog } from './changelog.ts';
import { verifyToken } from './tokens.ts';

export interface FeedServerOptions {
  readonly db: Database;
  /** The master's system name. */
  readonly system: string;
  readonly accessNet: readonly Cidr[];
  readonly tls: { cert: Buffer; key: Buffer };
  readonly host: string;
  readonly port: number;
  readonly log: Logger;
  /** Upper bound on a client's `wait`, in seconds. */
  readonly maxWaitSeconds?: number;
  /** How often a held request looks for new changes. */
  readonly pollMs?: number;
}

export interface FeedServer {
  readonly address: string;
  close(): Promise<void>;
}

export async function startFeedServer(opts: FeedServerOptions): Promise<FeedServer> {
  const maxWait = opts.maxWaitSeconds ?? 60;
  const pollMs = opts.pollMs ?? 200;
  const throttle = new LoginThrottle({ maxFailuresPerIp: 10, maxFailuresPerUser: 10, windowMs: 300_000 });
  const held = new Set<() => void>();
  let closing = false;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const ip = normalizeIp(req.socket.remoteAddress ?? '');
    const url = new URL(req.url ?? '/', 'https://feed');
    if (req.method !== 'GET' || url.pathname !== FEED_PATH) return reply(res, 404, { error: `only GET ${FEED_PATH} is served here` });
    if (!inAnyNetwork(opts.accessNet, ip)) {
      opts.log.warn({ event: 'replication.refused', ip }, `replication request from ${ip}, outside accounts.accessNet`);
      return reply(res, 403, { error: `${ip} is not in this master's accounts.accessNet` });
    }
    const verdict = throttle.check(ip, ip);
    if (verdict) return reply(res, 429, { error: `too many failed tokens; retry in ${verdict.retryAfterSeconds} s` }, { 'retry-after': String(verdict.retryAfterSeconds) });
    const auth = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const slave = auth ? verifyToken(opts.db, auth[1]!) : null;
    if (!slave) {
      throttle.recordFailure(ip, ip);
      opts.log.warn({ event: 'replication.bad-token', ip }, `replication request from ${ip} with a missing or wrong token`);
      return reply(res, 401, { error: 'a valid replication token is required (Authorization: Bearer NAME.SECRET)' }, { 'www-authenticate': 'Bearer' });
    }
    const since = Number(url.searchParams.get('since') ?? '0');
    const wait = Number(url.searchParams.get('wait') ?? '0');
    const dbId = url.searchParams.get('db') || null;
    if (!Number.isSafeInteger(since) || since < 0) return reply(res, 400, { error: 'since must be a whole number >= 0' });
    if (!Number.isFinite(wait) || wait < 0) return reply(res, 400, { error: 'wait must be a number of seconds >= 0' });

    // Long poll: wait while the slave is current (same database, nothing newer).
    const deadline = Date.now() + Math.min(wait, maxWait) * 1000;
    while (!closing && dbId === databaseId(opts.db) && latestVersion(opts.db) <= since && Date.now() < deadline) {
      const gone = await pause(pollMs, req, held);
      if (gone) return; // the slave hung up
    }
    const batch = readBatch(opts.db, { since, dbId, system: opts.system });
    if (batch.changes.length > 0 || batch.full) {
      opts.log.info({ event: 'replication.batch', slave, ip, since, version: batch.version, changes: batch.changes.length, full: batch.full }, `replication: ${batch.changes.length} change(s) to ${slave}`);
    }
    reply(res, 200, batch);
  };

  const server: Server = createServer({ cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      opts.log.error({ err, event: 'replication.error' }, 'replication feed request failed');
      if (!res.headersSent) reply(res, 500, { error: 'internal error; see the master log' });
      else res.destroy();
    });
  });
  server.requestTimeout = (maxWait + 30) * 1000;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => { server.off('error', reject); resolve(); });
  });
  // The log only needs each account's latest entry; compacting hourly keeps it small.
  const compactor = setInterval(() => {
    try { compactChangeLog(opts.db); } catch (err) { opts.log.warn({ err }, 'change log compaction failed'); }
  }, 3_600_000);
  compactor.unref();
  const a = server.address() as AddressInfo;
  return {
    address: `${a.address}:${a.port}`,
    close: async () => {
      closing = true;
      clearInterval(compactor);
      for (const wake of held) wake();
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Sleeps `ms`; resolves true early if the client disconnected. Wakes on server close. */
function pause(ms: number, req: IncomingMessage, held: Set<() => void>): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (gone: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.socket.off('close', onClose);
      held.delete(wake);
      resolve(gone);
    };
    const onClose = (): void => finish(true);
    const wake = (): void => finish(false);
    const timer = setTimeout(() => finish(false), ms);
    req.socket.once('close', onClose);
    held.add(wake);
  });
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), 'cache-control': 'no-store', ...headers });
  res.end(data);
}
