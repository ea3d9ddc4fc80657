// The admin console (the seed's ExpressMail Manager) for users with the admin flag:
// domains, users, aliases, lists, the queue, the mail log and the services. Pages are
// GETs; every change is a POST to /admin/do/<op> (console-actions.ts) with CSRF token.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HttpDeps } from '../deps.ts';
import { isTandemError, TandemError } from '../../../lib/errors.ts';
import { html, query, type Html } from '../../../lib/html.ts';
import { page, csrfField, formatBytes, formatDate, type PageUser } from '../web/layout.ts';
import { requireSession, checkCsrf, pageUser, type SessionInfo } from '../web/session.ts';
import { CONSOLE_ACTIONS } from './console-actions.ts';
import { listQueue, showQueueEntry, readMailLog, serviceStates } from './ops.ts';
import { clusterLink, restartAvailability } from './cluster-restart.ts';
import { serviceNames } from '../../serve/registry.ts';

type Query = Record<string, string | undefined>;

const SECTIONS: ReadonlyArray<readonly [string, string]> = [
  ['/admin/domains', 'Domains'], ['/admin/users', 'Users'], ['/admin/aliases', 'Aliases'], ['/admin/lists', 'Lists'],
  ['/admin/queue', 'Queue'], ['/admin/log', 'Mail log'], ['/admin/services', 'Services'],
];

function adminPage(u: AdminUser, q: Query, title: string, current: string, body: Html): string {
  return page({ title, user: u, area: 'admin', notice: q.notice ?? null, error: q.error ?? null }, html`
    <div class="admin"><aside class="folders"><ul>${SECTIONS.map(([href, label]) => html`<li class="${href === current ? 'on' : ''}"><a href="${href}">${label}</a></li>`)}</ul></aside>
    <section><h1>${title}</h1>${body}</section></div>`);
}

function postForm(u: AdminUser, op: string, fields: Html, button: string, cls = ''): Html {
  return html`<form method="post" action="/admin/do/${op}" class="${`inline ${cls}`.trim()}">${adminFields(u)}${fields}<button type="submit">${button}</button></form>`;
}

/** The CSRF token and the page to come back to with an error (no Referer: Referrer-Policy is no-referrer). */
function adminFields(u: AdminUser): Html {
  return html`${csrfField(u)}<input type="hidden" name="_back" value="${u.back}">`;
}

type AdminUser = PageUser & { back: string };

function hidden(name: string, value: string | number): Html {
  return html`<input type="hidden" name="${name}" value="${value}">`;
}

/** The page's own query minus notice/error, so a failed action comes back to the same view. */
function safeQuery(q: Query): string {
  const { notice: _n, error: _e, ...rest } = q;
  return query(rest);
}

export function registerConsoleRoutes(app: FastifyInstance, deps: HttpDeps, secure: boolean, listening: () => string[] = () => []): void {
  const dir = deps.ctx.directory;

  /** The session of an admin, or null after answering (login redirect or 403). */
  function admin(request: FastifyRequest, reply: FastifyReply): SessionInfo | null {
    const s = requireSession(deps, request, reply, secure);
    if (!s) return null;
    if (!s.admin) {
      throw new TandemError('HTTP_ERR_NOT_ADMIN', 'perm', `${s.user.address} is not an admin (an admin runs "tandem mail admin grant ${s.user.address}")`);
    }
    return s;
  }

  const send = (reply: FastifyReply, markup: string) => reply.type('text/html; charset=utf-8').header('Cache-Control', 'private, no-store').send(markup);

  const view = (path: string, render: (s: SessionInfo, u: AdminUser, q: Query) => Promise<string> | string) => {
    app.get(path, async (request, reply) => {
      const s = admin(request, reply);
      if (!s) return reply;
      return send(reply, await render(s, { ...pageUser(s), back: request.url.split('?')[0]! + safeQuery(request.query as Query) }, request.query as Query));
    });
  };

  view('/admin', (_s, u, q) => adminPage(u, q, 'Administration', '', html`<ul class="stats">
    <li><a href="/admin/domains">${dir.listDomains().length} domains</a></li><li><a href="/admin/users">${dir.listUsers().length} users</a></li>
    <li><a href="/admin/aliases">${dir.listAliases().length} aliases</a></li><li><a href="/admin/lists">${dir.listLists().length} lists</a></li></ul>`));

  view('/admin/domains', (_s, u, q) => adminPage(u, q, 'Domains', '/admin/domains', html`
    <table class="grid"><thead><tr><th>Domain</th><th>Users</th><th>Aliases</th><th>Lists</th><th>Catch-all</th><th></th></tr></thead><tbody>
    ${dir.listDomains().map((d) => html`<tr><td>${d.name}${d.name === deps.ctx.settings.primaryDomain ? ' (primary)' : ''}</td>
      <td><a href="/admin/users${query({ domain: d.name })}">${dir.listUsers(d.name).length}</a></td><td>${dir.listAliases(d.name).length}</td><td>${dir.listLists(d.name).length}</td>
      <td>${postForm(u, 'domain-catchall', html`${hidden('name', d.name)}<input type="text" name="target" value="${d.catchall ?? ''}" placeholder="none" aria-label="catch-all of ${d.name}">`, 'Set')}</td>
      <td>${postForm(u, 'domain-delete', hidden('name', d.name), 'Delete', 'confirm')}</td></tr>`)}
    </tbody></table>
    <h2>Add a domain</h2>${postForm(u, 'domain-add', html`<input type="text" name="name" placeholder="example.com" aria-label="domain name" required>`, 'Add domain')}`));

  view('/admin/users', (_s, u, q) => {
    const users = dir.listUsers(q.domain || undefined);
    return adminPage(u, q, q.domain ? `Users of ${q.domain}` : 'Users', '/admin/users', html`
      <table class="grid"><thead><tr><th>Address</th><th>Name</th><th>Quota</th><th>Enabled</th><th>Admin</th></tr></thead><tbody>
      ${users.map((x) => html`<tr><td><a href="/admin/user${query({ a: x.address })}">${x.address}</a></td><td>${x.displayName}</td>
        <td>${x.quotaBytes === 0 ? 'unlimited' : formatBytes(x.quotaBytes)}</td><td>${x.enabled ? 'yes' : 'no'}</td><td>${deps.web.isAdmin(x.address) ? 'yes' : ''}</td></tr>`)}
      </tbody></table>
      <h2>Create a user</h2>
      <form method="post" action="/admin/do/user-add" class="card" id="user-add">${adminFields(u)}
        <label>Address <input type="email" name="address" required></label>
        <label>Display name <input type="text" name="displayName"></label>
        <label>Password <input type="password" name="password" autocomplete="new-password" required></label>
        <label>Quota (0 = unlimited; e.g. 500M, 2G) <input type="text" name="quota" placeholder="default"></label>
        <label class="check"><input type="checkbox" name="admin" value="1"> Admin (may use this console)</label>
        <button type="submit">Create user</button></form>`);
  });

  view('/admin/user', (s, u, q) => {
    const x = dir.getUser(q.a ?? '');
    if (!x) throw new TandemError('MAIL_ERR_NOT_FOUND', 'not-found', `user ${q.a ?? ''} does not exist`);
    const isAdmin = deps.web.isAdmin(x.address);
    return adminPage(u, q, x.address, '/admin/users', html`
      <form method="post" action="/admin/do/user-update" class="card">${adminFields(u)}${hidden('address', x.address)}
        <label>Display name <input type="text" name="displayName" value="${x.displayName}"></label>
        <label>Quota (0 = unlimited) <input type="text" name="quota" value="${x.quotaBytes}"></label>
        <label class="check"><input type="checkbox" name="enabled" value="1" ${x.enabled ? html`checked` : ''}> Enabled (may log in and receive mail)</label>
        <label class="check"><input type="checkbox" name="admin" value="1" ${isAdmin ? html`checked` : ''}> Admin</label>
        <button type="submit">Save</button></form>
      <form method="post" action="/admin/do/user-password" class="card">${adminFields(u)}${hidden('address', x.address)}
        <h2>Reset password</h2><label>New password <input type="password" name="password" autocomplete="new-password" required></label>
        <button type="submit">Reset password</button></form>
      ${x.address === s.user.address ? '' : postForm(u, 'user-delete', hidden('address', x.address), `Delete ${x.address}`, 'confirm')}`);
  });

  view('/admin/aliases', (_s, u, q) => adminPage(u, q, 'Aliases', '/admin/aliases', html`
    <table class="grid"><thead><tr><th>Alias</th><th>Delivers to</th><th></th></tr></thead><tbody>
    ${dir.listAliases().map((a) => html`<tr><td>${a.address}</td><td>${a.targets.join(', ')}</td><td>${postForm(u, 'alias-delete', hidden('address', a.address), 'Delete', 'confirm')}</td></tr>`)}
    </tbody></table><h2>Create an alias</h2>
    ${postForm(u, 'alias-add', html`<input type="email" name="address" placeholder="alias@domain" aria-label="alias address" required>
      <input type="text" name="targets" placeholder="targets, comma-separated" aria-label="targets" required>`, 'Create alias')}`));

  view('/admin/lists', (_s, u, q) => adminPage(u, q, 'Mailing lists', '/admin/lists', html`
    <table class="grid"><thead><tr><th>List</th><th>Description</th><th>Posting</th><th>Members</th></tr></thead><tbody>
    ${dir.listLists().map((l) => html`<tr><td><a href="/admin/list${query({ a: l.address })}">${l.address}</a></td><td>${l.description}</td><td>${l.posting}</td><td>${l.members.length}</td></tr>`)}
    </tbody></table><h2>Create a list</h2>
    ${postForm(u, 'list-add', html`<input type="email" name="address" placeholder="list@domain" aria-label="list address" required>
      <input type="text" name="description" placeholder="description" aria-label="description">`, 'Create list')}`));

  view('/admin/list', (_s, u, q) => {
    const l = dir.getList(q.a ?? '');
    if (!l) throw new TandemError('MAIL_ERR_NOT_FOUND', 'not-found', `list ${q.a ?? ''} does not exist`);
    const opt = (v: string, cur: string) => html`<option value="${v}" ${v === cur ? html`selected` : ''}>${v}</option>`;
    return adminPage(u, q, l.address, '/admin/lists', html`
      <form method="post" action="/admin/do/list-update" class="card">${adminFields(u)}${hidden('address', l.address)}
        <label>Description <input type="text" name="description" value="${l.description}"></label>
        <label>Who may post <select name="posting">${['members', 'anyone', 'moderators'].map((v) => opt(v, l.posting))}</select></label>
        <label>Replies go to <select name="replyTo">${['sender', 'list'].map((v) => opt(v, l.replyTo))}</select></label>
        <button type="submit">Save</button></form>
      <table class="grid"><thead><tr><th>Member</th><th>Role</th><th></th></tr></thead><tbody>
      ${l.members.map((m) => html`<tr><td>${m.address}</td><td>${m.role}</td><td>${postForm(u, 'list-member-remove', html`${hidden('address', l.address)}${hidden('member', m.address)}`, 'Remove')}</td></tr>`)}
      </tbody></table>
      ${postForm(u, 'list-member', html`${hidden('address', l.address)}<input type="email" name="member" placeholder="member address" aria-label="member" required>
        <select name="role" aria-label="role"><option value="member">member</option><option value="moderator">moderator</option></select>`, 'Add')}
      <p>${postForm(u, 'list-delete', hidden('address', l.address), `Delete ${l.address}`, 'confirm')}</p>`);
  });

  view('/admin/queue', async (_s, u, q) => {
    const { total, entries } = await listQueue(deps.ctx);
    return adminPage(u, q, `Outbound queue (${total})`, '/admin/queue', html`
      <p>${postForm(u, 'queue-flush', html``, 'Retry all now')}</p>
      <table class="grid"><thead><tr><th>Id</th><th>Sender</th><th>Pending</th><th>Size</th><th>Queued</th><th>Next attempt</th></tr></thead><tbody>
      ${entries.map((e) => html`<tr><td><a href="/admin/queue/entry${query({ id: e.id })}">${e.id}</a></td><td>${e.sender || '<>'}</td>
        <td>${e.recipients.filter((r) => r.status === 'pending').map((r) => r.address).join(', ')}</td><td>${formatBytes(e.size)}</td>
        <td>${formatDate(e.createdAt)}</td><td>${formatDate(e.nextAttemptAt)}</td></tr>`)}
      </tbody></table>${total > entries.length ? html`<p>Showing the oldest ${entries.length}.</p>` : ''}`);
  });

  view('/admin/queue/entry', async (_s, u, q) => {
    const e = await showQueueEntry(deps.ctx, q.id ?? '');
    return adminPage(u, q, `Queue entry ${e.id}`, '/admin/queue', html`
      <dl class="headers"><dt>Sender</dt><dd>${e.sender || '<>'}</dd><dt>Size</dt><dd>${formatBytes(e.size)}</dd>
        <dt>Queued</dt><dd>${formatDate(e.createdAt)}</dd><dt>Next attempt</dt><dd>${formatDate(e.nextAttemptAt)}</dd></dl>
      <table class="grid"><thead><tr><th>Recipient</th><th>State</th><th>Attempts</th><th>Last result</th></tr></thead><tbody>
      ${e.recipients.map((r) => html`<tr><td>${r.address}</td><td>${r.status}</td><td>${r.attempts}</td><td>${r.lastResult ?? ''}</td></tr>`)}
      </tbody></table>
      ${postForm(u, 'queue-flush', hidden('id', e.id), 'Retry now')}
      ${postForm(u, 'queue-delete', html`${hidden('id', e.id)}<label class="check"><input type="checkbox" name="bounce" value="1"> send the sender a DSN</label>`, 'Delete', 'confirm')}`);
  });

  view('/admin/log', async (_s, u, q) => {
    const log = await readMailLog(deps.ctx, { ...(q.service ? { service: q.service } : {}), ...(q.event ? { event: q.event } : {}), ...(q.text ? { text: q.text } : {}), limit: 300 });
    if (!log.configured) {
      return adminPage(u, q, 'Mail log', '/admin/log', html`<p>The mail log is not configured. Run the services with
        <code>tandem mail serve all --log-dir DIR</code> and set <code>http.logDir: DIR</code> in cfg/mail.yaml.</p>`);
    }
    return adminPage(u, q, 'Mail log', '/admin/log', html`
      <form method="get" action="/admin/log" class="search"><input type="text" name="service" value="${q.service ?? ''}" placeholder="service (smtp, pop3...)" aria-label="service">
        <input type="text" name="event" value="${q.event ?? ''}" placeholder="event prefix (queue., delivery.)" aria-label="event">
        <input type="search" name="text" value="${q.text ?? ''}" placeholder="text (an address, a queue id)" aria-label="text"><button type="submit">Filter</button></form>
      <p class="meta">From ${log.dir}; newest first; ${log.lines.length} lines.</p>
      <table class="grid log"><thead><tr><th>Time</th><th>Service</th><th>Event</th><th>Details</th></tr></thead><tbody>
      ${log.lines.map((l) => html`<tr class="${l.level >= 50 ? 'err' : l.level >= 40 ? 'warn' : ''}"><td>${l.time.replace('T', ' ').slice(0, 19)}</td><td>${l.service}</td><td>${l.event}</td>
        <td>${l.msg} ${Object.entries(l.fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')}</td></tr>`)}
      </tbody></table>`);
  });

  view('/admin/services', async (_s, u, q) => {
    const states = await serviceStates(deps.ctx, { listening: listening() });
    const restart = restartAvailability(clusterLink());
    const button = (service: string): Html => (restart.available
      ? postForm(u, 'service-restart', hidden('service', service), 'Restart')
      : html`<button type="button" disabled title="${restart.reason}">Restart</button>`);
    // Every service (S1), each listener on its own row; the restart button on its first.
    const rows = serviceNames().filter((n) => n !== 'replication' || deps.ctx.settings.accounts.role !== 'standalone').flatMap((service) => {
      const mine = states.filter((x) => x.service === service);
      if (mine.length === 0) return [html`<tr><td>${service}</td><td>-</td><td>-</td><td>no listener</td><td>${button(service)}</td></tr>`];
      return mine.map((x, i) => html`<tr><td>${x.service}</td><td>${x.listener}</td><td>${x.port === null ? 'off' : `${x.address}:${x.port}`}</td>
        <td class="${x.answering === false ? 'down' : ''}">${x.port === null ? 'disabled in settings' : x.answering === null ? 'unknown' : x.answering ? 'answering' : 'not answering'}</td>
        <td>${i === 0 ? button(service) : ''}</td></tr>`);
    });
    return adminPage(u, q, 'Services', '/admin/services', html`
      <table class="grid"><thead><tr><th>Service</th><th>Listener</th><th>Address</th><th>State</th><th></th></tr></thead><tbody>
      ${rows}
      </tbody></table><p class="meta">Restart ${restart.available ? 'goes' : 'is disabled'}: ${restart.reason}.</p>`);
  });

  app.post('/admin/do/:op', async (request, reply) => {
    const s = admin(request, reply);
    if (!s) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    checkCsrf(s, body._csrf);
    const op = (request.params as { op: string }).op;
    const act = Object.hasOwn(CONSOLE_ACTIONS, op) ? CONSOLE_ACTIONS[op] : undefined;
    if (!act) throw new TandemError('HTTP_ERR_INVALID', 'invalid', `unknown admin action "${op}"`);
    const back = typeof body._back === 'string' && /^\/admin[\w/-]*(\?[^#]*)?$/.test(body._back) ? body._back : '/admin';
    try {
      const r = await act(deps, body, s.user.address);
      deps.ctx.log.info({ event: 'http.admin.action', admin: s.user.address, op });
      return reply.redirect(`${r.back}${r.back.includes('?') ? '&' : '?'}notice=${encodeURIComponent(r.notice)}`, 303);
    } catch (err) {
      if (!isTandemError(err)) throw err;
      return reply.redirect(`${back}${back.includes('?') ? '&' : '?'}error=${encodeURIComponent(err.message)}`, 303);
    }
  });
}
