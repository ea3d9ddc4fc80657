// The console's fastify application behind one listener: security headers on every
// response (a strict CSP: no inline script), the cross-site check on posts, error pages,
// the two static assets, the page itself, and the route modules (login, operations, live
// stream). It is a separate server from the signed API: nothing here reaches /api or /peer.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import { readFile } from 'node:fs/promises';
import { isTandemError, errorId, type FailureCategory } from '../../lib/errors.ts';
import type { LoginThrottle } from '../../lib/login-throttle.ts';
import type { ConsoleConfig } from '../model/console-schema.ts';
import type { ClusterEvent } from '../model/event.ts';
import type { NodeDaemon } from '../node/daemon.ts';
import { consolePage, errorPage, renderSections, type StatusView } from './render.ts';
import type { ConsoleSession, ConsoleSessions } from './sessions.ts';
import { registerAuthRoutes, sessionOf } from './routes-auth.ts';
import { registerOperationRoutes } from './routes-ops.ts';
import { registerLiveRoute } from './live.ts';
import type { PeerDifferences } from './differences.ts';

export interface ConsoleDeps {
  readonly d: NodeDaemon;
  readonly config: ConsoleConfig;
  readonly secure: boolean;
  readonly sessions: ConsoleSessions;
  readonly throttle: LoginThrottle;
  /** Counts open live streams across this node's listeners (bounded). */
  readonly streams: { open: number; readonly max: number };
  readonly differences: PeerDifferences;
}

/** How many events the page and the live stream show. */
export const EVENTS_SHOWN = 60;

const HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; frame-ancestors 'none'; img-src 'self' data:; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export function securityHeaders(secure: boolean): Record<string, string> {
  return { ...HEADERS, ...(secure ? { 'Strict-Transport-Security': 'max-age=31536000' } : {}) };
}

const STATUS: Record<FailureCategory, number> = {
  'not-found': 404, exists: 409, invalid: 400, perm: 403, 'not-possible': 409, temp: 503, 'no-quota': 507,
};

const ASSETS: Record<string, string> = { 'console.css': 'text/css; charset=utf-8', 'console.js': 'text/javascript; charset=utf-8' };

export async function loadAssets(): Promise<Map<string, { type: string; data: Buffer }>> {
  const out = new Map<string, { type: string; data: Buffer }>();
  for (const [name, type] of Object.entries(ASSETS)) out.set(name, { type, data: await readFile(new URL(`./assets/${name}`, import.meta.url)) });
  return out;
}

/** Does the client want JSON (the page's script) rather than a page (a plain form post)? */
export function wantsJson(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('application/json');
}

export function sendError(request: FastifyRequest, reply: FastifyReply, status: number, message: string): FastifyReply {
  reply.code(status);
  if (wantsJson(request)) return reply.type('application/json; charset=utf-8').send({ error: message });
  return reply.type('text/html; charset=utf-8').send(errorPage(status, message).value);
}

/** The status (with what differs on peers whose configuration differs) and recent events. */
export async function snapshot(deps: Pick<ConsoleDeps, 'd' | 'differences'>): Promise<{ status: StatusView; events: ClusterEvent[] }> {
  const raw = deps.d.status() as unknown as StatusView;
  const status: StatusView = { ...raw, nodes: raw.nodes.map((n) => (n.self || !n.reachable || n.configHashMatches ? n : { ...n, differences: deps.differences.of(n.name) })) };
  const events = await deps.d.events.tail({ limit: EVENTS_SHOWN });
  return { status, events };
}

export function resourcesOf(d: NodeDaemon): (group: string) => readonly string[] {
  return (group) => d.groupConfig(group)?.resources.map((r) => r.name) ?? [];
}

export async function buildConsoleApp(deps: ConsoleDeps, tls: { cert: Buffer; key: Buffer } | null): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    ...(tls ? { https: { cert: tls.cert, key: tls.key } } : {}),
    bodyLimit: 64 * 1024,
    trustProxy: false,
    requestTimeout: 60_000,
    connectionTimeout: 60_000,
    return503OnClosing: true,
  }) as unknown as FastifyInstance;
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 64 * 1024 });

  const headers = securityHeaders(deps.secure);
  app.addHook('onRequest', async (_request, reply) => { reply.headers(headers); });
  // SameSite=Strict cookies and CSRF tokens stop cross-site posts already; this is a second
  // lock (as in the webmail): a browser's Sec-Fetch-Site, or a named foreign Origin.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'GET' || request.method === 'HEAD') return;
    const site = request.headers['sec-fetch-site'];
    const origin = request.headers.origin;
    let foreign = site === 'cross-site' || site === 'same-site';
    if (!foreign && origin !== undefined && origin !== 'null') {
      try { foreign = new URL(origin).host !== request.headers.host; } catch { foreign = true; }
    }
    if (foreign) return sendError(request, reply, 403, `cross-site request refused (from ${origin ?? site ?? 'another site'}, not this site)`);
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    if (isTandemError(err)) return sendError(request, reply, STATUS[err.category], err.message);
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return sendError(request, reply, err.statusCode, err.message);
    const ref = errorId();
    deps.d.emit({ kind: 'console.error', level: 'error', message: `console: internal error ${ref} on ${request.method} ${request.url.split('?')[0]}: ${err.message}` });
    return sendError(request, reply, 500, `internal error (reference ${ref}, in the node's event log)`);
  });
  app.setNotFoundHandler((request, reply) => sendError(request, reply, 404, `no such page: ${request.method} ${request.url.split('?')[0]}`));

  const assets = await loadAssets();
  app.get('/assets/:name', async (request, reply) => {
    const a = assets.get((request.params as { name: string }).name);
    if (!a) return sendError(request, reply, 404, 'no such asset');
    return reply.type(a.type).header('Cache-Control', 'no-cache').send(a.data);
  });
  app.get('/favicon.ico', async (_request, reply) => reply.code(204).send());

  app.get('/', async (request, reply) => {
    const s = requireSession(deps, request, reply);
    if (!s) return reply;
    const { status, events } = await snapshot(deps);
    const flash = s.flash;
    s.flash = null;
    const sections = renderSections(status, events, resourcesOf(deps.d), s.csrf, Date.now());
    return reply.type('text/html; charset=utf-8').send(consolePage(status, sections, s.user, s.csrf, flash).value);
  });

  registerAuthRoutes(app, deps);
  registerOperationRoutes(app, deps);
  registerLiveRoute(app, deps);
  return app;
}

/** The request's session, or a redirect to the login page (GET) / 401 (anything else). */
export function requireSession(deps: ConsoleDeps, request: FastifyRequest, reply: FastifyReply, touch = true): ConsoleSession | null {
  const s = sessionOf(deps, request, touch);
  if (s) return s;
  if (request.method === 'GET' && !wantsJson(request) && request.url !== '/live') void reply.redirect('/login', 303);
  else void sendError(request, reply, 401, 'not logged in (or the session expired): log in again');
  return null;
}
