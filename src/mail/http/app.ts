// The fastify application behind one listener (plain or TLS): plugins, security headers
// on every response, the cleartext rule (logins only over TLS, except on loopback when
// the volume allows it, as for POP3 and SMTP), the error mapping, static assets and the
// route modules (webmail, settings, admin console, admin API).
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import { ZodError } from 'zod';
import { isLoopback } from '../../lib/cidr.ts';
import { TandemError, errorId, type FailureCategory } from '../../lib/errors.ts';
import { pageHeaders } from './policy/security-headers.ts';
import type { HttpDeps } from './deps.ts';
import { loadAssets } from './assets.ts';
import { html } from '../../lib/html.ts';
import { page } from './web/layout.ts';
import { registerAuthRoutes } from './web/routes-auth.ts';
import { registerMailRoutes } from './web/routes-mail.ts';
import { registerComposeRoutes } from './web/routes-compose.ts';
import { registerSettingsRoutes } from './web/routes-settings.ts';
import { registerConsoleRoutes } from './admin/routes-console.ts';
import { registerApiRoutes } from './api/routes.ts';

export interface AppOptions {
  /** This listener is TLS. */
  readonly secure: boolean;
  /** Certificate and key for a TLS listener; null for cleartext. */
  readonly tls: { cert: string | Buffer; key: string | Buffer } | null;
  /** Where to send cleartext visitors, e.g. "https://mail.example.com:443"; null when there is no TLS listener. */
  readonly httpsUrl: string | null;
  /** Where the service listens ("host:port"), once it does; for the services page. */
  readonly listening: () => string[];
  /** Told of every route as it is registered (the OpenAPI test compares them with the document). */
  readonly onRoute?: (method: string, url: string) => void;
}

const STATUS: Record<FailureCategory, number> = {
  'not-found': 404, exists: 409, invalid: 400, perm: 403, 'not-possible': 409, temp: 503, 'no-quota': 507,
};

export function isApi(request: FastifyRequest): boolean {
  return request.url === '/api' || request.url.startsWith('/api/');
}

export async function buildApp(deps: HttpDeps, opts: AppOptions): Promise<FastifyInstance> {
  const { settings, log } = deps.ctx;
  const tls = opts.tls;
  const app = Fastify({
    loggerInstance: log.child({ listener: opts.secure ? 'https' : 'http' }) as unknown as FastifyBaseLogger,
    // One code path for both listeners: the TLS one only differs in its server.
    serverFactory: (handler) => {
      const server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) as unknown as ReturnType<typeof createServer> : createServer(handler);
      // Longer than clients keep idle connections (browsers, fetch: a few seconds), so a
      // client never reuses a connection the server is closing at that very moment.
      server.keepAliveTimeout = 65_000;
      return server;
    },
    // Requests are not logged one by one; logins, sends and admin actions are (typed events).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    requestTimeout: 120_000,
    connectionTimeout: 60_000,
    return503OnClosing: true,
  });
  if (opts.onRoute) {
    const tell = opts.onRoute;
    app.addHook('onRoute', (r) => { for (const m of [r.method].flat()) tell(m, r.url); });
  }
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 1024 * 1024 });
  await app.register(multipart, {
    limits: { fileSize: settings.limits.messageSizeBytes, files: 20, fields: 50, fieldSize: 2 * 1024 * 1024, parts: 80 },
  });

  const headers = pageHeaders(opts.secure);
  app.addHook('onRequest', async (request, reply) => {
    reply.headers(headers);
    if (opts.secure) return;
    const ip = request.socket.remoteAddress ?? '';
    if (settings.auth.allowPlaintextOnLoopback && isLoopback(ip)) return;
    // Passwords and session cookies never cross the network in clear.
    if (request.method === 'GET' && opts.httpsUrl && !isApi(request)) {
      return reply.redirect(`${opts.httpsUrl}${request.url}`, 301);
    }
    return sendError(request, reply, 403, 'HTTP_ERR_TLS_REQUIRED', `use HTTPS${opts.httpsUrl ? ` (${opts.httpsUrl})` : ''}: logins and sessions are refused over cleartext HTTP`);
  });
  // Cross-site posts: SameSite=Strict cookies and CSRF tokens already stop them; this is a
  // second lock. Sec-Fetch-Site is sent by current browsers whatever the referrer policy;
  // Origin is "null" under Referrer-Policy no-referrer, so only a named foreign origin counts.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'GET' || request.method === 'HEAD' || isApi(request)) return;
    const site = request.headers['sec-fetch-site'];
    const origin = request.headers.origin;
    let foreign = site === 'cross-site' || site === 'same-site';
    if (!foreign && origin !== undefined && origin !== 'null') {
      let host: string | null = null;
      try { host = new URL(origin).host; } catch { host = null; }
      foreign = host !== request.headers.host;
    }
    if (foreign) {
      return sendError(request, reply, 403, 'HTTP_ERR_ORIGIN', `cross-site request refused (from ${origin ?? site ?? 'another site'}, not this site)`);
    }
  });

  app.setErrorHandler((err: FastifyError | Error, request, reply) => {
    if (err instanceof TandemError) return sendError(request, reply, STATUS[err.category], err.code, err.message);
    if (err instanceof ZodError) {
      const reason = err.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : 'body'}: ${i.message}`).join('; ');
      return sendError(request, reply, 400, 'HTTP_ERR_INVALID', reason);
    }
    const status = (err as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return sendError(request, reply, status, (err as FastifyError).code ?? 'HTTP_ERR_REQUEST', err.message);
    }
    const ref = errorId();
    log.error({ event: 'http.error', err, ref, url: request.url });
    return sendError(request, reply, 500, 'HTTP_ERR_INTERNAL', `internal error (reference ${ref})`);
  });
  app.setNotFoundHandler((request, reply) => sendError(request, reply, 404, 'HTTP_ERR_NO_ROUTE', `no such page: ${request.method} ${request.url.split('?')[0]}`));

  const assets = await loadAssets();
  app.get('/assets/:name', async (request, reply) => {
    const a = assets.get((request.params as { name: string }).name);
    if (!a) return sendError(request, reply, 404, 'HTTP_ERR_NO_ROUTE', 'no such asset');
    return reply.type(a.type).header('Cache-Control', 'public, max-age=300').send(a.data);
  });
  app.get('/', async (_request, reply) => reply.redirect('/mail', 303));
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/favicon.ico', async (_request, reply) => reply.code(204).send());

  registerAuthRoutes(app, deps, opts.secure);
  registerMailRoutes(app, deps, opts.secure);
  registerComposeRoutes(app, deps, opts.secure);
  registerSettingsRoutes(app, deps, opts.secure);
  registerConsoleRoutes(app, deps, opts.secure, opts.listening);
  registerApiRoutes(app, deps, opts.listening);
  return app;
}

/** JSON for the API, a small HTML page for the browser. */
export function sendError(request: FastifyRequest, reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  reply.code(status);
  if (isApi(request)) return reply.type('application/json; charset=utf-8').send({ error: code, message });
  return reply.type('text/html; charset=utf-8').send(page({ title: `Error ${status}`, error: message },
    html`<p><a href="/mail">Back to mail</a></p>`));
}
