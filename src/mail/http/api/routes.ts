// The admin JSON API under /api/v1/: bearer-token authentication (tokens stored hashed,
// failures throttled per client IP), zod validation of params, query and body, and the
// OpenAPI document at /api/v1/openapi.json. Errors are JSON: { error, message }; warnings
// (the operation was done, but...) are Tandem-Warning headers.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { HttpDeps } from '../deps.ts';
import { sendError } from '../app.ts';
import { API_ROUTES } from './table.ts';
import { openApiDocument } from './openapi.ts';
import { invokeRoute, encodeWarning, WARNING_HEADER } from './invoke.ts';

/** The throttle's "user" key for API token failures (per IP counts are what matter). */
const TOKEN_KEY = '#api-token';

function bearer(request: FastifyRequest): string | null {
  const h = request.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer\s+(\S+)$/i.exec(h) : null;
  return m ? m[1]! : null;
}

export function registerApiRoutes(app: FastifyInstance, deps: HttpDeps, listening: () => string[] = () => []): void {
  const doc = openApiDocument(API_ROUTES);
  app.get('/api/v1/openapi.json', async (_request, reply) => reply.type('application/json; charset=utf-8').send(doc));

  app.addHook('preHandler', async (request, reply) => {
    if (!request.url.startsWith('/api/') || request.url.startsWith('/api/v1/openapi.json')) return;
    const ip = request.socket.remoteAddress ?? 'unknown';
    const verdict = deps.throttle.check(ip, TOKEN_KEY);
    if (verdict) {
      void reply.header('Retry-After', String(verdict.retryAfterSeconds));
      return sendError(request, reply, 429, 'HTTP_ERR_THROTTLED', `too many bad tokens from ${ip}; retry in ${verdict.retryAfterSeconds} s`);
    }
    const token = bearer(request);
    const who = token ? deps.web.verifyToken(token) : null;
    if (!who) {
      if (token) deps.throttle.recordFailure(ip, TOKEN_KEY);
      void reply.header('WWW-Authenticate', 'Bearer realm="tandem"');
      return sendError(request, reply, 401, 'HTTP_ERR_UNAUTHORIZED', token ? 'invalid or revoked token' : 'missing "Authorization: Bearer <token>" (make one with "tandem mail admin token create")');
    }
    request.log.info({ event: 'http.api.request', token: who.id, method: request.method, url: request.url.split('?')[0] });
  });

  for (const r of API_ROUTES) {
    app.route({
      method: r.method,
      url: r.path,
      handler: async (request, reply) => {
        const warnings: string[] = [];
        const env = { ctx: deps.ctx, web: deps.web, warn: (text: string) => { warnings.push(text); }, local: false };
        const { status, result } = await invokeRoute(r, { params: request.params, query: request.query, body: request.body }, { env, ctx: deps.ctx, listening: listening() });
        if (warnings.length > 0) void reply.header(WARNING_HEADER, warnings.map(encodeWarning));
        if (status === 204) return reply.code(204).send();
        return reply.code(status).type('application/json; charset=utf-8').send(result);
      },
    });
  }
}
