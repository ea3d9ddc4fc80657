// Webmail reading: folders with unread counts, the sorted and paged message list with
// search, a message (headers, attachments, the body in a sandboxed frame), the body
// document itself, attachment downloads, cid: images, and the list/message actions
// (move, delete, flag, read/unread). Every action is a POST with the session's CSRF token.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { HttpDeps } from '../deps.ts';
import { TandemError } from '../../../lib/errors.ts';
import { html, query, type Html } from '../../../lib/html.ts';
import { page, formatBytes, formatDate, csrfField, type PageUser } from './layout.ts';
import { requireSession, checkCsrf, pageUser, type SessionInfo } from './session.ts';
import { parseDir, parsePage, parseSort } from '../policy/message-list.ts';
import { mailBodyHeaders, attachmentHeaders, downloadContentType, isInlineImageType, contentDisposition } from '../policy/security-headers.ts';
import type { FolderRow, SearchField } from '../mail/mailbox.ts';
import { parsed, readable, bodyHtml, remoteImageCount } from '../mail/render.ts';

type Query = Record<string, string | undefined>;

export function folderParam(q: Query): string {
  const f = q.f ?? 'INBOX';
  if (f.length === 0 || f.length > 255) throw new TandemError('HTTP_ERR_INVALID', 'invalid', 'bad folder name');
  return f;
}

export function uidParam(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) throw new TandemError('HTTP_ERR_INVALID', 'invalid', `bad message UID "${String(value)}"`);
  return n;
}

function uidList(value: unknown): number[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.slice(0, 1000).map(uidParam);
}

export function folderNav(folders: FolderRow[], current: string): Html {
  return html`<aside class="folders"><a class="button" href="/mail/compose">Compose</a><ul>${folders.map((f) => html`
    <li class="${f.name === current ? 'on' : ''}"><a href="/mail${query({ f: f.name })}">${f.name}</a>${f.unseen > 0 ? html` <span class="unread" title="unread">${f.unseen}</span>` : ''}</li>`)}
  </ul></aside>`;
}

function sortLink(label: string, key: string, q: Query, current: string, dir: string): Html {
  const next = current === key ? (dir === 'asc' ? 'desc' : 'asc') : undefined;
  const mark = current === key ? (dir === 'asc' ? ' ▲' : ' ▼') : '';
  return html`<a href="/mail${query({ f: q.f, q: q.q, in: q.in, sort: key, dir: next })}">${label}${mark}</a>`;
}

function moveOptions(folders: FolderRow[], except: string): Html {
  return html`${folders.filter((f) => f.name !== except).map((f) => html`<option value="${f.name}">${f.name}</option>`)}`;
}

function sendPage(reply: FastifyReply, markup: string): FastifyReply {
  return reply.type('text/html; charset=utf-8').header('Cache-Control', 'private, no-store').send(markup);
}

export function registerMailRoutes(app: FastifyInstance, deps: HttpDeps, secure: boolean): void {
  const { mailbox } = deps;

  app.get('/mail', async (request, reply) => {
    const s = requireSession(deps, request, reply, secure);
    if (!s) return reply;
    const q = request.query as Query;
    const folder = folderParam(q);
    const sort = parseSort(q.sort);
    const dir = parseDir(q.dir, sort);
    const field: SearchField = q.in === 'subject' || q.in === 'from' || q.in === 'body' ? q.in : 'all';
    const folders = await mailbox.folders(s.user);
    const list = await mailbox.list(s.user, folder, { sort, dir, page: parsePage(q.page), pageSize: deps.ctx.settings.http.pageSize },
      q.q ? { text: q.q.slice(0, 200), field } : undefined);
    const u = pageUser(s);
    const pager = html`<p class="pager">${list.total} messages · page ${list.page} of ${list.pages}
      ${list.page > 1 ? html` · <a rel="prev" href="/mail${query({ f: folder, q: q.q, in: q.in, sort, dir, page: list.page - 1 })}">newer</a>` : ''}
      ${list.page < list.pages ? html` · <a rel="next" href="/mail${query({ f: folder, q: q.q, in: q.in, sort, dir, page: list.page + 1 })}">older</a>` : ''}</p>`;
    return sendPage(reply, page({ title: folder, user: u, area: 'mail', notice: q.notice ?? null, error: q.error ?? null }, html`
      <div class="mail">${folderNav(folders, folder)}
      <section class="list">
        <form method="get" action="/mail" class="search"><input type="hidden" name="f" value="${folder}">
          <input type="search" name="q" value="${q.q ?? ''}" placeholder="Search ${folder}" aria-label="search text">
          <select name="in" aria-label="search in">${(['all', 'subject', 'from', 'body'] as const).map((x) => html`<option value="${x}" ${x === field ? html`selected` : ''}>${x === 'all' ? 'subject, from, body' : x}</option>`)}</select>
          <button type="submit">Search</button></form>
        <form method="post" action="/mail/action" id="list-form">${csrfField(u)}<input type="hidden" name="f" value="${folder}">
        <div class="actions">
          <button name="op" value="delete" type="submit">Delete</button>
          <button name="op" value="read" type="submit">Mark read</button>
          <button name="op" value="unread" type="submit">Mark unread</button>
          <button name="op" value="flag" type="submit">Flag</button>
          <button name="op" value="unflag" type="submit">Unflag</button>
          <select name="to" aria-label="move to">${moveOptions(folders, folder)}</select><button name="op" value="move" type="submit">Move</button>
        </div>
        <table class="messages"><thead><tr><th><input type="checkbox" data-select-all aria-label="select all"></th>
          <th>${sortLink('From', 'from', q, sort, dir)}</th><th>${sortLink('Subject', 'subject', q, sort, dir)}</th>
          <th>${sortLink('Date', 'date', q, sort, dir)}</th><th>${sortLink('Size', 'size', q, sort, dir)}</th></tr></thead>
        <tbody>${list.rows.map((m) => html`<tr class="${m.flags.includes('\\Seen') ? 'seen' : 'unseen'}${m.flags.includes('\\Flagged') ? ' flagged' : ''}">
          <td><input type="checkbox" name="uid" value="${m.uid}" aria-label="select"></td>
          <td>${m.summary.from}</td>
          <td><a href="/mail/read${query({ f: folder, uid: m.uid })}">${m.summary.subject || '(no subject)'}</a>${m.flags.includes('\\Flagged') ? html` <span class="flag" title="flagged">★</span>` : ''}</td>
          <td>${formatDate(m.summary.date ?? m.time)}</td><td>${formatBytes(m.size)}</td></tr>`)}
        </tbody></table></form>
        ${pager}
      </section></div>`));
  });

  /** The message a read, body or part request names (f, uid), parsed once and cached by Maildir id. */
  async function openMessage(s: SessionInfo, q: Query) {
    const folder = folderParam(q);
    const uid = uidParam(q.uid);
    const found = await mailbox.find(s.user, folder, uid);
    const mail = await parsed(found.message.id, async () => (await mailbox.read(s.user, folder, uid)).data);
    return { folder, uid, found, mail };
  }

  // The body frame's sandbox has no allow-scripts, so nothing in it can run; it keeps
  // same-origin only so that its cid: image requests carry the SameSite=Strict session
  // (an opaque-origin frame's requests are cross-site and would be refused).
  app.get('/mail/read', async (request, reply) => {
    const s = requireSession(deps, request, reply, secure);
    if (!s) return reply;
    const q = request.query as Query;
    const { folder, uid, found, mail } = await openMessage(s, q);
    if (!found.flags.includes('\\Seen')) await mailbox.setFlags(s.user, folder, [uid], 'add', ['\\Seen']);
    const m = readable(mail);
    const remote = q.remote === '1';
    const blocked = remote ? 0 : remoteImageCount(mail);
    const folders = await mailbox.folders(s.user);
    const u = pageUser(s);
    const drafts = await mailbox.specialFolder(s.user, '\\Drafts');
    const ref = { f: folder, uid };
    return sendPage(reply, page({ title: m.subject || '(no subject)', user: u, area: 'mail', notice: q.notice ?? null }, html`
      <div class="mail">${folderNav(folders, folder)}
      <article class="message">
        <h1>${m.subject || '(no subject)'}</h1>
        <dl class="headers"><dt>From</dt><dd>${m.from}</dd><dt>To</dt><dd>${m.to}</dd>
          ${m.cc ? html`<dt>Cc</dt><dd>${m.cc}</dd>` : ''}<dt>Date</dt><dd>${m.date ? m.date.toUTCString() : ''}</dd></dl>
        <div class="actions">
          ${folder === drafts ? html`<a class="button" href="/mail/compose${query({ draft: uid })}">Edit draft</a>` : html`
          <a class="button" href="/mail/compose${query({ mode: 'reply', ...ref })}">Reply</a>
          <a class="button" href="/mail/compose${query({ mode: 'replyall', ...ref })}">Reply all</a>`}
          <a class="button" href="/mail/compose${query({ mode: 'forward', ...ref })}">Forward</a>
          <form method="post" action="/mail/action" class="inline">${csrfField(u)}<input type="hidden" name="f" value="${folder}"><input type="hidden" name="uid" value="${uid}">
            <button name="op" value="delete" type="submit">Delete</button>
            <button name="op" value="unread" type="submit">Mark unread</button>
            <button name="op" value="${found.flags.includes('\\Flagged') ? 'unflag' : 'flag'}" type="submit">${found.flags.includes('\\Flagged') ? 'Unflag' : 'Flag'}</button>
            <select name="to" aria-label="move to">${moveOptions(folders, folder)}</select><button name="op" value="move" type="submit">Move</button>
          </form>
        </div>
        ${blocked > 0 ? html`<p class="remote-note">${blocked} remote image(s) blocked to protect your privacy. <a href="/mail/read${query({ ...ref, remote: 1 })}">Show remote content</a></p>` : ''}
        ${m.attachments.length > 0 ? html`<ul class="attachments">${m.attachments.filter((a) => !a.inline).map((a) => html`
          <li><a href="/mail/part${query({ ...ref, n: a.index })}" download>${a.filename}</a> <span class="meta">${a.contentType}, ${formatBytes(a.size)}</span></li>`)}</ul>` : ''}
        <iframe class="body" title="message body" sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox" src="/mail/body${query({ ...ref, remote: remote ? 1 : undefined })}"></iframe>
      </article></div>`));
  });

  app.get('/mail/body', async (request, reply) => {
    const s = requireSession(deps, request, reply, secure);
    if (!s) return reply;
    const q = request.query as Query;
    const { folder, uid, mail } = await openMessage(s, q);
    const remote = q.remote === '1';
    const cids = new Set(mail.attachments.filter((a) => a.contentId && isInlineImageType(a.contentType)).map((a) => a.contentId!.replace(/^<|>$/g, '')));
    const body = bodyHtml(mail, remote, (cid) => (cids.has(cid) ? `/mail/cid${query({ f: folder, uid, cid })}` : null));
    const origin = `${secure ? 'https' : 'http'}://${request.headers.host ?? 'localhost'}`;
    // No X-Frame-Options here: this document is meant to sit in our own page's frame.
    reply.removeHeader('X-Frame-Options');
    return reply.headers(mailBodyHeaders(remote, origin)).type('text/html; charset=utf-8')
      .send(`<!doctype html><html><head><meta charset="utf-8"><base target="_blank"><style>body{font:14px/1.45 system-ui,sans-serif;margin:8px;word-wrap:break-word}pre.text{white-space:pre-wrap;font:inherit}img{max-width:100%}</style></head><body>${body.html}</body></html>`);
  });

  async function attachment(s: SessionInfo, q: Query) {
    return (await openMessage(s, q)).mail;
  }

  app.get('/mail/part', async (request, reply) => {
    const s = requireSession(deps, request, reply, secure);
    if (!s) return reply;
    const q = request.query as Query;
    const mail = await attachment(s, q);
    const n = Number(q.n);
    const a = Number.isInteger(n) ? mail.attachments[n] : undefined;
    if (!a) throw new TandemError('HTTP_ERR_NO_PART', 'not-found', `the message has no attachment #${q.n}`);
    return reply.headers(attachmentHeaders()).type(downloadContentType(a.contentType))
      .header('Content-Disposition', contentDisposition(a.filename ?? `part-${n + 1}`)).send(a.content);
  });

  app.get('/mail/cid', async (request, reply) => {
    const s = requireSession(deps, request, reply, secure);
    if (!s) return reply;
    const q = request.query as Query;
    const mail = await attachment(s, q);
    const a = mail.attachments.find((x) => x.contentId && x.contentId.replace(/^<|>$/g, '') === q.cid && isInlineImageType(x.contentType));
    if (!a) throw new TandemError('HTTP_ERR_NO_PART', 'not-found', 'no inline image with that Content-ID');
    return reply.headers(attachmentHeaders())
      .type(a.contentType.split(';')[0]!.trim().toLowerCase()).send(a.content);
  });

  app.post('/mail/action', async (request, reply) => {
    const s = requireSession(deps, request, reply, secure);
    if (!s) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    checkCsrf(s, body._csrf);
    const folder = folderParam(body as Query);
    const uids = uidList(body.uid);
    const back = (params: Record<string, string>) => reply.redirect(`/mail${query({ f: folder, ...params })}`, 303);
    if (uids.length === 0) return back({ error: 'Select at least one message first.' });
    switch (body.op) {
      case 'delete': {
        const where = await mailbox.delete(s.user, folder, uids);
        return back({ notice: where === 'trash' ? `${uids.length} moved to Trash` : `${uids.length} deleted for good` });
      }
      case 'move': {
        if (typeof body.to !== 'string') throw new TandemError('HTTP_ERR_INVALID', 'invalid', 'choose a folder to move to');
        await mailbox.move(s.user, folder, uids, body.to);
        return back({ notice: `${uids.length} moved to ${body.to}` });
      }
      case 'read': await mailbox.setFlags(s.user, folder, uids, 'add', ['\\Seen']); break;
      case 'unread': await mailbox.setFlags(s.user, folder, uids, 'remove', ['\\Seen']); break;
      case 'flag': await mailbox.setFlags(s.user, folder, uids, 'add', ['\\Flagged']); break;
      case 'unflag': await mailbox.setFlags(s.user, folder, uids, 'remove', ['\\Flagged']); break;
      default: throw new TandemError('HTTP_ERR_INVALID', 'invalid', `unknown action "${String(body.op)}"`);
    }
    if (uids.length === 1 && body.op !== 'unread') return reply.redirect(`/mail/read${query({ f: folder, uid: uids[0]! })}`, 303);
    return back({ notice: 'done' });
  });

  app.get('/mail/contacts', async (request, reply) => {
    const s = requireSession(deps, request, reply, secure);
    if (!s) return reply;
    const dir = deps.ctx.directory;
    const domain = s.user.domain;
    const users = dir.listUsers(domain).filter((x) => x.enabled);
    const aliases = dir.listAliases(domain);
    const lists = dir.listLists(domain);
    const u: PageUser = pageUser(s);
    const row = (address: string, name: string, kind: string) => html`<tr><td>${name}</td><td>${address}</td><td>${kind}</td>
      <td><a class="button" href="/mail/compose${query({ to: address })}">Write</a></td></tr>`;
    return sendPage(reply, page({ title: 'Address book', user: u, area: 'contacts' }, html`
      <h1>Address book: ${domain}</h1>
      <table class="grid"><thead><tr><th>Name</th><th>Address</th><th>Kind</th><th></th></tr></thead><tbody>
      ${users.map((x) => row(x.address, x.displayName, 'user'))}
      ${aliases.map((x) => row(x.address, '', 'alias'))}
      ${lists.map((x) => row(x.address, x.description, 'mailing list'))}
      </tbody></table>`));
  });
}
