// Login and logout. A login is throttled per client IP and per address exactly like
// POP3 logins (the same LoginThrottle and settings), costs one scrypt even for unknown
// users, and replaces any session cookie the browser had (no session fixation). The
// login form carries its own CSRF token (a pre-session cookie), so nobody can log a
// victim into the attacker's account either.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { HttpDeps } from '../deps.ts';
import { html } from '../../../lib/html.ts';
import { page } from './layout.ts';
import { cookieName, cookieOptions, LOGIN_COOKIE, sameToken, sessionOf, checkCsrf } from './session.ts';

function safeNext(next: unknown): string {
  // Only a path on this site: never "//evil.example" or "https://...".
  return typeof next === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : '/mail';
}

export function registerAuthRoutes(app: FastifyInstance, deps: HttpDeps, secure: boolean): void {
  const loginPage = (token: string, next: string, address: string, error: string | null) => page({ title: 'Log in', error }, html`
    <form method="post" action="/login" class="login card">
      <h1>Log in</h1>
      <input type="hidden" name="_login" value="${token}">
      <input type="hidden" name="next" value="${next}">
      <label>Address <input type="email" name="address" value="${address}" autocomplete="username" required autofocus></label>
      <label>Password <input type="password" name="password" autocomplete="current-password" required></label>
      <button type="submit">Log in</button>
    </form>`);

  const freshToken = (reply: FastifyReply) => {
    const token = randomBytes(24).toString('base64url');
    void reply.setCookie(LOGIN_COOKIE, token, cookieOptions(secure, 3600));
    return token;
  };

  app.get('/login', async (request, reply) => {
    const next = safeNext((request.query as Record<string, unknown>).next);
    if (sessionOf(deps, request, secure)) return reply.redirect(next, 303);
    return reply.type('text/html; charset=utf-8').send(loginPage(freshToken(reply), next, '', null));
  });

  app.post('/login', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const address = typeof body.address === 'string' ? body.address.trim().slice(0, 320) : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const next = safeNext(body.next);
    const cookieToken = request.cookies[LOGIN_COOKIE] ?? '';
    const again = (status: number, error: string) =>
      reply.code(status).type('text/html; charset=utf-8').send(loginPage(freshToken(reply), next, address, error));
    if (typeof body._login !== 'string' || cookieToken === '' || !sameToken(body._login, cookieToken)) {
      return again(403, 'The login form expired; please try again.');
    }
    const ip = request.socket.remoteAddress ?? 'unknown';
    const verdict = deps.throttle.check(ip, address);
    if (verdict) {
      deps.ctx.log.warn({ event: 'http.login.throttled', ip, user: address, scope: verdict.scope });
      void reply.header('Retry-After', String(verdict.retryAfterSeconds));
      return again(429, `Too many failed logins; try again in ${verdict.retryAfterSeconds} seconds.`);
    }
    const user = address === '' || password === '' ? null : await deps.ctx.directory.authenticate(address, password);
    if (!user) {
      deps.throttle.recordFailure(ip, address);
      deps.ctx.log.info({ event: 'http.login.failed', ip, user: address });
      return again(401, 'Wrong address or password.');
    }
    deps.throttle.recordSuccess(address);
    const old = request.cookies[cookieName(secure)];
    if (old) deps.web.endSession(old);
    const { settings } = deps.ctx;
    const maxMs = settings.http.sessionMaxHours * 3_600_000;
    const s = deps.web.createSession(user.address, deps.now(), maxMs);
    deps.web.purgeSessions(deps.now(), settings.http.sessionIdleMinutes * 60_000);
    deps.ctx.log.info({ event: 'http.login.ok', ip, user: user.address });
    void reply.clearCookie(LOGIN_COOKIE, cookieOptions(secure));
    void reply.setCookie(cookieName(secure), s.cookie, cookieOptions(secure, Math.floor(maxMs / 1000)));
    return reply.redirect(next, 303);
  });

  app.post('/logout', async (request, reply) => {
    const s = sessionOf(deps, request, secure);
    if (s) {
      checkCsrf(s, (request.body as Record<string, unknown> | undefined)?._csrf);
      deps.web.endSession(s.cookie);
      deps.ctx.log.info({ event: 'http.logout', user: s.user.address });
    }
    void reply.clearCookie(cookieName(secure), cookieOptions(secure));
    return reply.redirect('/login', 303);
  });
}
