// The slave's follower (S7): asks the master's feed for the changes after its version,
// applies each batch atomically, and asks again at once (the master holds the request
// until something changes). While the master is unreachable the slave keeps its last
// state, so its users still log in; it retries with a capped backoff and reports where
// it stands in run/replication-status.json for `tandem mail replication status`.
import { request } from 'node:https';
import { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import type { Database } from 'better-sqlite3';
import type { Logger } from '../../lib/log.ts';
import { replaceFileDurable } from '../../lib/durable.ts';
import { batch as batchSchema, FEED_PATH, type Batch } from './records.ts';
import { applyBatch, readFollowState } from './apply.ts';

export interface FollowerOptions {
  readonly db: Database;
  /** This slave's system name. */
  readonly system: string;
  readonly masterUrl: string;
  readonly token: string;
  /** Expected SHA-256 fingerprint of the master's certificate (hex, no colons, upper case); null: system CAs. */
  readonly fingerprint: string | null;
  readonly waitSeconds: number;
  /** Local address the requests leave from (the slave's VIP), or null. */
  readonly localAddress: string | null;
  readonly statusFile: string;
  readonly log: Logger;
  /** Backoff bounds after a failure, ms. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

export interface FollowerStatus {
  readonly master: string;
  readonly masterDbId: string | null;
  readonly version: number;
  readonly lastSuccessAt: string | null;
  readonly lastChangeAt: string | null;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
  readonly pid: number;
}

export interface Follower {
  status(): FollowerStatus;
  stop(): Promise<void>;
}

export function normalizeFingerprint(text: string): string {
  return text.replace(/:/g, '').toUpperCase();
}

export function startFollower(opts: FollowerOptions): Follower {
  const minBackoff = opts.minBackoffMs ?? 1_000;
  const maxBackoff = opts.maxBackoffMs ?? 30_000;
  const abort = new AbortController();
  const start = readFollowState(opts.db);
  let status: FollowerStatus = {
    master: opts.masterUrl, masterDbId: start.masterDbId, version: start.version,
    lastSuccessAt: null, lastChangeAt: null, lastError: null, lastErrorAt: null, pid: process.pid,
  };
  const publish = async (): Promise<void> => {
    await replaceFileDurable(opts.statusFile, `${JSON.stringify(status, null, 2)}\n`).catch((err: unknown) => opts.log.warn({ err }, 'cannot write the replication status file'));
  };

  const loop = async (): Promise<void> => {
    let backoff = minBackoff;
    await publish();
    while (!abort.signal.aborted) {
      const state = readFollowState(opts.db);
      try {
        const batch = await fetchBatch(opts, state.version, state.masterDbId, abort.signal);
        const summary = applyBatch(opts.db, batch, opts.system);
        const now = new Date().toISOString();
        const changed = summary.upserted + summary.deleted > 0;
        if (changed) {
          opts.log.info({ event: 'replication.applied', ...summary, full: batch.full }, `replication: applied ${batch.changes.length} change(s), now at version ${summary.version}`);
        }
        status = { ...status, masterDbId: batch.dbId, version: summary.version, lastSuccessAt: now, lastChangeAt: changed ? now : status.lastChangeAt, lastError: null };
        await publish();
        backoff = minBackoff;
      } catch (err) {
        if (abort.signal.aborted) break;
        const message = (err as Error).message;
        if (status.lastError !== message) opts.log.warn({ event: 'replication.failed', err: message }, `replication from ${opts.masterUrl} failed: ${message} (retrying; accounts stay as they are)`);
        status = { ...status, lastError: message, lastErrorAt: new Date().toISOString() };
        await publish();
        await sleep(backoff, abort.signal);
        backoff = Math.min(maxBackoff, backoff * 2);
      }
    }
  };
  const running = loop();
  return {
    status: () => status,
    stop: async () => { abort.abort(); await running; },
  };
}

function fetchBatch(opts: FollowerOptions, since: number, dbId: string | null, signal: AbortSignal): Promise<Batch> {
  const url = new URL(FEED_PATH, opts.masterUrl);
  url.searchParams.set('since', String(since));
  if (dbId) url.searchParams.set('db', dbId);
  url.searchParams.set('wait', String(opts.waitSeconds));
  return new Promise<Batch>((resolve, reject) => {
    const req = request(url, {
      method: 'GET',
      headers: { authorization: `Bearer ${opts.token}`, accept: 'application/json' },
      localAddress: opts.localAddress ?? undefined,
      // With a pinned fingerprint the certificate is checked below instead of by CAs:
      // a self-signed master certificate is then as safe as a CA-signed one.
      rejectUnauthorized: opts.fingerprint === null,
      checkServerIdentity: opts.fingerprint === null ? undefined : (_host: string, cert: PeerCertificate) => checkPin(cert, opts.fingerprint!),
      timeout: (opts.waitSeconds + 30) * 1000,
      signal,
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        // A batch is at most BATCH_LIMIT records; 64 MiB is far above that, and bounds memory.
        if (size > 64 * 1024 * 1024) req.destroy(new Error('master sent more than 64 MiB'));
        else chunks.push(c);
      });
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try { body = JSON.parse(text); } catch { return reject(new Error(`master answered ${res.statusCode} with a body that is not JSON`)); }
        if (res.statusCode !== 200) {
          return reject(new Error(`master answered ${res.statusCode}: ${(body as { error?: string })?.error ?? text.slice(0, 200)}`));
        }
        const parsed = batchSchema.safeParse(body);
        if (!parsed.success) return reject(new Error(`master sent an invalid batch: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`));
        resolve(parsed.data);
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('master did not answer in time')));
    req.on('error', reject);
    req.end();
  });
}

function checkPin(cert: PeerCertificate, expected: string): Error | undefined {
  const got = cert.raw ? normalizeFingerprint(new X509Certificate(cert.raw).fingerprint256) : '';
  return got === expected ? undefined : new Error(`master certificate fingerprint ${got || '(none)'} does not match accounts.master.fingerprint`);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}
