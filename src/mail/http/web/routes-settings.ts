// The user's own settings: password (checked with the password policy; every other
// session of the user ends), forwarding and vacation auto-reply (stored per user in the
// web tables; see docs/webmail.md for what delivery does with them).
import type { FastifyInstance } from 'fastify';
import type { HttpDeps } from '../deps.ts';
import { parseAddress } from '../../core/address.ts';
import { TandemError } from '../../../lib/errors.ts';
import { html, query } from '../../../lib/html.ts';
import { page, csrfField } from './layout.ts';
import { requireSession, checkCsrf, pageUser } from './session.ts';
import { passwordProblem } from '../policy/password-rule.ts';

type Body = Record<string, unknown>;

function text(body: Body, name: string, max: number): string {
  const v = body[name];
  if (v === undefined) return '';
  if (typeof v !== 'string') throw new TandemError('HTTP_ERR_INVALID', 'invalid', `${name}: expected text`);
  if (v.length > max) throw new TandemError('HTTP_ERR_INVALID', 'invalid', `${name} is too long (at most ${max} characters)`);
  return v;
}

export function registerSettingsRoutes(app: FastifyInstance, deps: HttpDeps, secure: boolean): void {
  app.get('/settings', async (request, reply) => {
    const s = requireSession(deps, request, reply, secure);
    if (!s) return reply;
    const q = request.query as Record<string, string | undefined>;
    const u = pageUser(s);
    const m = deps.web.mailSettings(s.user.address);
    return reply.type('text/html; charset=utf-8').header('Cache-Control', 'private, no-store').send(page({ title: 'Settings', user: u, area: 'settings', notice: q.notice ?? null, error: q.error ?? null }, html`
      <h1>Settings for ${s.user.address}</h1>
      <form method="post" action="/settings/password" class="card"><h2>Change password</h2>${csrfField(u)}
        <label>Current password <input type="password" name="current" autocomplete="current-password" required></label>
        <label>New password <input type="password" name="password" autocomplete="new-password" required></label>
        <label>New password again <input type="password" name="confirm" autocomplete="new-password" required></label>
        <button type="submit">Change password</button></form>
      <form method="post" action="/settings/forwarding" class="card"><h2>Forwarding</h2>${csrfField(u)}
        <label>Forward my mail to (comma-separated; empty for none) <input type="text" name="forwardTo" value="${m.forwardTo.join(', ')}"></label>
        <label class="check"><input type="checkbox" name="keepCopy" value="1" ${m.keepCopy ? html`checked` : ''}> Keep a copy in my mailbox</label>
        <button type="submit">Save forwarding</button></form>
      <form method="post" action="/settings/vacation" class="card"><h2>Vacation auto-reply</h2>${csrfField(u)}
        <label class="check"><input type="checkbox" name="enabled" value="1" ${m.vacation.enabled ? html`checked` : ''}> Answer incoming mail automatically</label>
        <label>Subject <input type="text" name="subject" value="${m.vacation.subject}"></label>
        <textarea name="body" rows="6" aria-label="auto-reply text">${m.vacation.body}</textarea>
        <button type="submit">Save auto-reply</button></form>`));
  });

  app.post('/settings/password', async (request, reply) => {
    const s = requireSession(deps, request, reply, secure);
    if (!s) return reply;
    const body = (request.body ?? {}) as Body;
    checkCsrf(s, body._csrf);
    const back = (k: 'notice' | 'error', v: string) => reply.redirect(`/settings${query({ [k]: v })}`, 303);
    const ip = request.socket.remoteAddress ?? 'unknown';
    // Guessing the current password here must cost as much as at the login form.
    const verdict = deps.throttle.check(ip, s.user.address);
    if (verdict) return back('error', `Too many failed attempts; try again in ${verdict.retryAfterSeconds} seconds.`);
    if (!(await deps.ctx.directory.authenticate(s.user.address, text(body, 'current', 1024)))) {
      deps.throttle.recordFailure(ip, s.user.address);
      return back('error', 'The current password is wrong.');
    }
    const next = text(body, 'password', 1024);
    if (next !== text(body, 'confirm', 1024)) return back('error', 'The two new passwords differ.');
    const problem = passwordProblem(next, s.user.address, deps.ctx.settings, text(body, 'current', 1024));
    if (problem) return back('error', `Password not changed: ${problem}.`);
    await deps.ctx.directory.setPassword(s.user.address, next);
    deps.web.endSessionsOf(s.user.address, s.cookie);
    deps.ctx.log.info({ event: 'http.password.changed', user: s.user.address });
    return back('notice', 'Password changed. Your other sessions were logged out.');
  });

  app.post('/settings/forwarding', async (request, reply) => {
    const s = requireSession(deps, request, reply, secure);
    if (!s) return reply;
    const body = (request.body ?? {}) as Body;
    checkCsrf(s, body._csrf);
    const targets = text(body, 'forwardTo', 4000).split(/[,\s]+/).filter((x) => x !== '');
    const normalized: string[] = [];
    for (const t of targets) {
      const a = parseAddress(t);
      if (!a) return reply.redirect(`/settings${query({ error: `"${t}" is not a mail address` })}`, 303);
      const addr = `${a.local}@${a.domain}`;
      if (addr === s.user.address) return reply.redirect(`/settings${query({ error: 'forwarding to yourself would loop' })}`, 303);
      normalized.push(addr);
    }
    if (normalized.length > 10) return reply.redirect(`/settings${query({ error: 'at most 10 forwarding addresses' })}`, 303);
    const current = deps.web.mailSettings(s.user.address);
    deps.web.setMailSettings(s.user.address, { ...current, forwardTo: [...new Set(normalized)], keepCopy: body.keepCopy === '1' });
    return reply.redirect(`/settings${query({ notice: 'Forwarding saved.' })}`, 303);
  });

  app.post('/settings/vacation', async (request, reply) => {
    const s = requireSession(deps, request, reply, secure);
    if (!s) return reply;
    const body = (request.body ?? {}) as Body;
    checkCsrf(s, body._csrf);
    const current = deps.web.mailSettings(s.user.address);
    deps.web.setMailSettings(s.user.address, { ...current, vacation: {
      enabled: body.enabled === '1', subject: text(body, 'subject', 200).replace(/[\r\n]+/g, ' '), body: text(body, 'body', 10_000),
    } });
    return reply.redirect(`/settings${query({ notice: 'Auto-reply saved.' })}`, 303);
  });
}
