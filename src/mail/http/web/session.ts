// Who is asking: the session cookie resolved against the server-side store, the CSRF
// token of that session, and the checks every state-changing form request passes
// (CSRF token, Origin). Cookies are HttpOnly, SameSite=Strict, Secure over TLS.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import type { User } from '../../directory/directory.ts';
import type { HttpDeps } from '../deps.ts';
import type { PageUser } from './layout.ts';
import { TandemError } from '../../../lib/errors.ts';

export interface SessionInfo { user: User; csrf: string; admin: boolean; cookie: string }

export function cookieName(secure: boolean): string {
  // The __Host- prefix pins the cookie to this host, path / and TLS (RFC 6265bis).
  return secure ? '__Host-tandem' : 'tandem';
}

export const LOGIN_COOKIE = 'tandem_login';

export function cookieOptions(secure: boolean, maxAgeSeconds?: number) {
  return { path: '/', httpOnly: true, sameSite: 'strict' as const, secure, ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}) };
}

/** The live session of the request, or null; a session of a deleted or disabled user ends. */
export function sessionOf(deps: HttpDeps, request: FastifyRequest, secure: boolean): SessionInfo | null {
  const cookie = request.cookies[cookieName(secure)];
  if (!cookie) return null;
  const s = deps.web.session(cookie, deps.now(), deps.ctx.settings.http.sessionIdleMinutes * 60_000);
  if (!s) return null;
  const user = deps.ctx.directory.getUser(s.address);
  if (!user || !user.enabled) {
    deps.web.endSession(cookie);
    return null;
  }
  return { user, csrf: s.csrf, admin: deps.web.isAdmin(user.address), cookie };
}

export function pageUser(s: SessionInfo): PageUser {
  return { address: s.user.address, displayName: s.user.displayName, admin: s.admin, csrf: s.csrf };
}

export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Refuses a form post whose CSRF token is not this session's. */
export function checkCsrf(session: SessionInfo, given: unknown): void {
  if (typeof given !== 'string' || !sameToken(given, session.csrf)) {
    throw new TandemError('HTTP_ERR_CSRF', 'perm', 'the form expired or did not come from this site (CSRF check failed); reload the page and try again');
  }
}

/** Redirects to the login page (GET) or refuses (other methods) when there is no session. */
export function requireSession(deps: HttpDeps, request: FastifyRequest, reply: FastifyReply, secure: boolean): SessionInfo | null {
  const s = sessionOf(deps, request, secure);
  if (s) return s;
  if (request.method === 'GET') {
    void reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);
  } else {
    void reply.code(401).type('text/plain; charset=utf-8').send('not logged in (the session expired); log in again');
  }
  return null;
}
