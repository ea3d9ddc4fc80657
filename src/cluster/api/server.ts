// The node daemon's HTTP API on the node's addresses and port: JSON, every request signed
// with the cluster secret (HMAC over method, URL, sender, time, nonce and body) or carrying
// the derived bearer token; nothing is served unauthenticated. /api/* serves the CLI and
// local tools, /peer/* is the node channel's RPC between daemons. The web console has its
// own listener (src/cluster/console/), started from here with the API.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { isTandemError } from '../../lib/errors.ts';
import { verifyRequest, NonceCache } from '../transport/auth.ts';
import { DEFAULT_PORT } from '../transport/channel.ts';
import { isNewer, type OperatorState } from '../transport/messages.ts';
import { diffConfigs } from '../model/config-diff.ts';
import { configHash } from '../model/config-hash.ts';
import type { ClusterConfig } from '../model/config-schema.ts';
import type { NodeDaemon } from '../node/daemon.ts';
import { receiveFile } from '../node/peer-files.ts';
import { startConsole } from '../console/start.ts';
import {
  broadcast, groupMove, groupStart, groupStop, setMonitorSuspended, svcLoad, svcOp,
} from '../node/operations.ts';

/** Room for the largest synced file in base64 (16 MiB -> about 22 MB of JSON). */
const BODY_LIMIT = 24 * 1024 * 1024;
const SECRET_PLACEHOLDER = '(secret not shown)';

declare module 'fastify' {
  interface FastifyRequest { rawBody?: string }
}

/** The config as peers may see it: never the secret, and console password hashes only as a fingerprint. */
export function redacted(config: ClusterConfig): ClusterConfig {
  const consoleView = config.console && { ...config.console, users: config.console.users.map((u) => ({ ...u, passwordHash: `(hash ${createHash('sha256').update(u.passwordHash).digest('hex').slice(0, 12)})` })) };
  return { ...config, cluster: { ...config.cluster, secret: SECRET_PLACEHOLDER }, ...(consoleView ? { console: consoleView } : {}) };
}

type Body = Record<string, unknown>;
const str = (b: Body, k: string): string | undefined => (typeof b[k] === 'string' ? b[k] as string : undefined);

function need(b: Body, k: string): string {
  const v = str(b, k);
  if (v === undefined || v === '') throw Object.assign(new Error(`missing field ${JSON.stringify(k)}`), { statusCode: 400 });
  return v;
}

export async function startApi(d: NodeDaemon): Promise<FastifyInstance[]> {
  const me = d.config.nodes.find((n) => n.name === d.self)!;
  const port = me.port ?? DEFAULT_PORT;
  const servers: FastifyInstance[] = [];
  for (const address of me.addresses) {
    const app = buildApp(d);
    await app.listen({ host: address, port });
    servers.push(app);
  }
  // The web console is its own listener (console.port), not a route here: it serves
  // browsers with cookie sessions, this API only signed requests (docs/cluster-console.md).
  servers.push(...await startConsole(d, redacted));
  return servers;
}

export function buildApp(d: NodeDaemon): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT });
  const nonces = new NonceCache();
  const refusals = { lastAt: 0, suppressed: 0 };
  const localSources = new Set(d.config.nodes.find((n) => n.name === d.self)?.addresses ?? []);
  const peerDiffs = new Map<string, { hash: string; differences: unknown }>();

  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    req.rawBody = body as string;
    try {
      done(null, body === '' ? {} : JSON.parse(body as string));
    } catch {
      done(Object.assign(new Error('body is not valid JSON'), { statusCode: 400 }), undefined);
    }
  });

  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    const local = localSources.has(req.ip.replace(/^::ffff:/, '')) || req.ip.startsWith('127.') || req.ip === '::1';
    const verdict = verifyRequest(d.keys, nonces, req.method, req.url, req.headers, req.rawBody ?? '', Date.now(), local);
    if (!verdict.ok) {
      // At most one event a second, so a flood of bad requests cannot wash out the log.
      const now = Date.now();
      if (now - refusals.lastAt >= 1_000) {
        const more = refusals.suppressed > 0 ? ` (and ${refusals.suppressed} more refused since the last report)` : '';
        d.emit({ kind: 'api.refused', level: 'warning', message: `refused ${req.method} ${req.url.split('?')[0]} from ${req.ip}: ${verdict.reason}${more}` });
        refusals.lastAt = now;
        refusals.suppressed = 0;
      } else refusals.suppressed++;
      return reply.code(401).send({ error: `not authenticated: ${verdict.reason}` });
    }
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    if (isTandemError(err)) {
      const code = err.category === 'not-found' ? 404 : err.category === 'invalid' ? 400 : 409;
      return reply.code(code).send({ error: err.message, code: err.code });
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    return reply.code(status).send({ error: status === 500 ? `internal error: ${err.message}` : err.message });
  });

  const body = (req: FastifyRequest): Body => (req.body && typeof req.body === 'object' ? req.body as Body : {});

  // ---- for the CLI and the console ----
  app.get('/api/status', async () => {
    const status = d.status() as { nodes: Array<{ name: string; reachable: boolean; configHashMatches: boolean; differences?: unknown }> };
    await Promise.all(status.nodes.map(async (n) => {
      if (n.name === d.self || !n.reachable || n.configHashMatches) return;
      const r = await d.call<{ config: ClusterConfig; hash: string }>(n.name, 'GET', '/peer/config', null, 3_000);
      if (r.ok) {
        const cached = peerDiffs.get(n.name);
        if (!cached || cached.hash !== r.body.hash) peerDiffs.set(n.name, { hash: r.body.hash, differences: diffConfigs(redacted(d.config), r.body.config) });
        n.differences = peerDiffs.get(n.name)!.differences;
      } else n.differences = `could not fetch its configuration: ${r.reason}`;
    }));
    return status;
  });

  app.get('/api/events', async (req) => {
    const q = req.query as Record<string, string | undefined>;
    const after = Number(q.after ?? 0) || 0;
    const wait = Math.min(Number(q.wait ?? 0) || 0, 30_000);
    if (wait > 0) await d.events.waitAfter(after, wait);
    const lastSeq = d.events.lastSeq;
    const events = await d.events.tail({ after, group: q.group, kind: q.kind, limit: Number(q.limit ?? 100) || 100 });
    return { events: events.filter((e) => e.seq <= lastSeq), lastSeq };
  });

  app.post('/api/group/:name/:op', async (req) => {
    const { name, op } = req.params as { name: string; op: string };
    const b = body(req);
    switch (op) {
      case 'start': return { message: groupStart(d, name) };
      case 'stop': return { message: groupStop(d, name) };
      case 'move': return { message: groupMove(d, name, str(b, 'to')) };
      case 'failover': return { message: groupMove(d, name, undefined) };
      default: throw Object.assign(new Error(`unknown group operation ${op}`), { statusCode: 404 });
    }
  });

  app.post('/api/monitor/:op', async (req) => {
    const { op } = req.params as { op: string };
    if (op !== 'suspend' && op !== 'resume') throw Object.assign(new Error(`unknown monitor operation ${op}`), { statusCode: 404 });
    return { message: setMonitorSuspended(d, need(body(req), 'name'), op === 'suspend') };
  });

  app.post('/api/cluster/:op', async (req) => {
    const { op } = req.params as { op: string };
    if (op !== 'start' && op !== 'stop') throw Object.assign(new Error(`unknown cluster operation ${op}`), { statusCode: 404 });
    d.setStopped(op === 'stop', `tandem cluster ${op}`);
    return { message: `cluster service on ${d.self} ${op === 'stop' ? 'stopped (the daemon keeps running and takes no groups)' : 'started'}` };
  });

  app.post('/api/broadcast', async (req) => ({ message: await broadcast(d, need(body(req), 'text').slice(0, 4_000)) }));

  app.post('/api/svc/load', async (req) => {
    const b = body(req);
    const command = Array.isArray(b.command) && b.command.every((x) => typeof x === 'string') ? b.command as string[] : [];
    const onFail = str(b, 'onFail') ?? 'failover';
    if (!['failover', 'stop-node', 'none'].includes(onFail)) throw Object.assign(new Error('onFail must be failover, stop-node or none'), { statusCode: 400 });
    const num = (k: string, dflt: number): number => (typeof b[k] === 'number' && Number.isFinite(b[k]) && (b[k] as number) >= 0 ? b[k] as number : dflt);
    const env = b.env && typeof b.env === 'object' ? Object.fromEntries(Object.entries(b.env as Body).filter(([, v]) => typeof v === 'string')) as Record<string, string> : {};
    const info = svcLoad(d, {
      name: need(b, 'name'), group: need(b, 'group'), resource: str(b, 'resource') ?? null, command,
      ...(str(b, 'cwd') ? { cwd: str(b, 'cwd') } : {}), env,
      monitor: b.monitor === true, restarts: num('restarts', 3), windowMs: num('windowMs', 3_600_000), onFail: onFail as 'failover',
    });
    return { message: `service ${info.name} loaded on ${d.self} (pid ${info.pid ?? '?'})`, service: info };
  });

  app.post('/api/svc/:op', async (req) => {
    const { op } = req.params as { op: string };
    if (op !== 'kill' && op !== 'restart') throw Object.assign(new Error(`unknown svc operation ${op}`), { statusCode: 404 });
    const b = body(req);
    return { message: await svcOp(d, op, need(b, 'name'), b.forwarded === true) };
  });

  // ---- the node channel's RPC ----
  app.get('/peer/config', async () => ({ config: redacted(d.config), hash: configHash(d.config) }));

  app.post('/peer/operator', async (req) => {
    const b = body(req) as { group?: string; state?: OperatorState };
    if (typeof b.group !== 'string' || !b.state) throw Object.assign(new Error('group and state are required'), { statusCode: 400 });
    const before = d.operatorOf(b.group);
    d.mergeOperator({ [b.group]: b.state }, req.headers['x-tandem-node'] as string ?? 'peer');
    return { adopted: isNewer(b.state, before) };
  });

  app.post('/peer/broadcast', async (req) => {
    const b = body(req);
    d.receiveBroadcast(need(b, 'text').slice(0, 4_000), str(b, 'from') ?? 'peer');
    return { ok: true };
  });

  app.post('/peer/file', async (req, reply) => {
    const msg = body(req);
    if (!d.fileMessageOk(msg)) return reply.code(400).send({ error: 'malformed file message' });
    const r = await receiveFile(d.config, msg);
    d.emit({ kind: r.ok ? 'sync.received' : 'sync.refused', level: r.ok ? 'info' : 'warning', message: r.ok ? `file ${msg.path} written (from ${String(req.headers['x-tandem-node'])})` : `file ${msg.path} refused: ${r.reason}` });
    return r.ok ? { ok: true } : reply.code(403).send({ error: r.reason });
  });

  return app;
}
