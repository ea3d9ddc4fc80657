// Console login and logout. Users and their scrypt hashes come from the cluster config
// (`console.users`). A login is throttled per client address and per user name, costs one
// scrypt even for an unknown user, and replaces any session the browser had; the login
// form carries its own one-time token (a pre-session cookie) so nobody can log a victim in.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { dummyPasswordHash, verifyPassword } from '../../lib/password-hash.ts';
import type { ConsoleDeps } from './app.ts';
import { loginPage } from './render.ts';
import { randomToken, sameToken, type ConsoleSession } from './sessions.ts';

/** Per node, so two nodes' consoles on one host name (different ports) keep their own cookies. */
export function cookieName(deps: Pick<ConsoleDeps, 'secure' | 'd'>): string {
  // __Host-: only over TLS, for this host, path / (RFC 6265bis).
  return `${deps.secure ? '__Host-' : ''}tandem-console-${deps.d.self}`;
}

function loginCookieName(deps: Pick<ConsoleDeps, 'secure' | 'd'>): string {
  return `${deps.secure ? '__Host-' : ''}tandem-console-login-${deps.d.self}`;
}

function cookieOptions(secure: boolean, maxAgeSeconds?: number) {
  return { path: '/', httpOnly: true, sameSite: 'strict' as const, secure, ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}) };
}

export function sessionOf(deps: ConsoleDeps, request: FastifyRequest, touch = true): ConsoleSession | null {
  const s = deps.sessions.get(request.cookies[cookieName(deps)], touch);
  // A user removed from the config (and the daemon restarted) has no session anyway; this
  // covers a config that lists the user no more for any other reason.
  if (s && !deps.config.users.some((u) => u.name === s.user)) return null;
  return s;
}

/** Refuses a form post whose CSRF token is not the session's. */
export function checkCsrf(session: ConsoleSession, given: unknown): boolean {
  return typeof given === 'string' && sameToken(given, session.csrf);
}

export function registerAuthRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  const refusals = { lastAt: 0, suppressed: 0 };
  const freshToken = (reply: FastifyReply): string => {
    const token = randomToken();
    void reply.setCookie(loginCookieName(deps), token, cookieOptions(deps.secure, 3600));
    return token;
  };
  const show = (reply: FastifyReply, status: number, user: string, error: string | null) =>
    reply.code(status).type('text/html; charset=utf-8').send(loginPage(freshToken(reply), user, error, deps.d.self).value);

  // One event a second at most, so a password-guessing flood cannot wash out the log.
  const logRefusal = (message: string): void => {
    const now = Date.now();
    if (now - refusals.lastAt < 1_000) { refusals.suppressed++; return; }
    const more = refusals.suppressed > 0 ? ` (and ${refusals.suppressed} more since the last report)` : '';
    deps.d.emit({ kind: 'console.login-failed', level: 'warning', message: `${message}${more}` });
    refusals.lastAt = now;
    refusals.suppressed = 0;
  };

  app.get('/login', async (request, reply) => {
    if (sessionOf(deps, request)) return reply.redirect('/', 303);
    return show(reply, 200, '', null);
  });

  app.post('/login', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const user = typeof body.user === 'string' ? body.user.trim().slice(0, 64) : '';
    const password = typeof body.password === 'string' ? body.password.slice(0, 1024) : '';
    const formToken = request.cookies[loginCookieName(deps)] ?? '';
    if (typeof body._login !== 'string' || formToken === '' || !sameToken(body._login, formToken)) {
      return show(reply, 403, user, 'The login form expired (or cookies are blocked); please try again.');
    }
    const ip = request.socket.remoteAddress ?? 'unknown';
    const verdict = deps.throttle.check(ip, user);
    if (verdict) {
      logRefusal(`console login for ${JSON.stringify(user)} from ${ip} throttled (${verdict.scope})`);
      void reply.header('Retry-After', String(verdict.retryAfterSeconds));
      return show(reply, 429, user, `Too many failed logins; try again in ${verdict.retryAfterSeconds} seconds.`);
    }
    const account = deps.config.users.find((u) => u.name === user);
    // Unknown users cost one scrypt as well, so timing does not tell which names exist.
    const ok = await verifyPassword(password, account?.passwordHash ?? await dummyPasswordHash());
    if (!account || !ok || password === '') {
      deps.throttle.recordFailure(ip, user);
      logRefusal(`console login for ${JSON.stringify(user)} from ${ip} failed: wrong user or password`);
      return show(reply, 401, user, 'Wrong user or password.');
    }
    deps.throttle.recordSuccess(user);
    deps.sessions.end(request.cookies[cookieName(deps)]);
    const { cookie } = deps.sessions.create(account.name);
    deps.d.emit({ kind: 'console.login', level: 'info', message: `console user ${account.name} logged in on ${deps.d.self} from ${ip}` });
    void reply.clearCookie(loginCookieName(deps), cookieOptions(deps.secure));
    void reply.setCookie(cookieName(deps), cookie, cookieOptions(deps.secure, deps.config.sessionMaxHours * 3600));
    return reply.redirect('/', 303);
  });

  app.post('/logout', async (request, reply) => {
    const s = sessionOf(deps, request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    // A logout without the token could be forced by another site; it is refused like any post.
    if (s && !checkCsrf(s, body._csrf)) return reply.code(403).type('text/plain; charset=utf-8').send('the form expired or did not come from this page (CSRF check failed); reload it');
    if (s) {
      deps.sessions.end(request.cookies[cookieName(deps)]);
      deps.d.emit({ kind: 'console.logout', level: 'info', message: `console user ${s.user} logged out on ${deps.d.self}` });
    }
    void reply.clearCookie(cookieName(deps), cookieOptions(deps.secure));
    return reply.redirect('/login', 303);
  });
}
