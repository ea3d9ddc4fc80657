// Compose, reply, reply-all, forward and drafts. Sending goes through the submission
// pipeline (mail/submit.ts: the same checks and delivery as SMTP submission) and then a
// copy is appended to Sent; drafts are appended to Drafts (\Draft) and the previous
// version of the draft is removed.
import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import addressparser from 'nodemailer/lib/addressparser';
import type { HttpDeps } from '../deps.ts';
import { TandemError } from '../../../lib/errors.ts';
import { html, query } from '../../../lib/html.ts';
import { page, csrfField, formatBytes } from './layout.ts';
import { requireSession, checkCsrf, pageUser, type SessionInfo } from './session.ts';
import { folderParam, uidParam } from './routes-mail.ts';
import { parsed, readable, type ReadableMessage } from '../mail/render.ts';
import { submitMessage } from '../mail/submit.ts';
import { readComposeForm, field } from './compose-form.ts';

type Query = Record<string, string | undefined>;

interface Draft {
  to: string; cc: string; bcc: string; subject: string; body: string; from: string;
  inReplyTo: string; references: string;
  /** A message whose attachments come along (forward, or the draft being edited). */
  orig: { f: string; uid: number; attachments: ReadableMessage['attachments'] } | null;
  draftUid: number | null;
  answered: { f: string; uid: number } | null;
}

function parseAddresses(text: string): string[] {
  const out: string[] = [];
  for (const a of addressparser(text, { flatten: true })) {
    if ('address' in a && a.address) out.push(a.address);
    else if (a.name && a.name.trim() !== '') throw new TandemError('HTTP_ERR_INVALID', 'invalid', `"${a.name}" is not a mail address`);
  }
  return out;
}

function quote(text: string): string {
  return text.split(/\r?\n/).map((l) => `> ${l}`).join('\n');
}

function prefixed(prefix: string, subject: string): string {
  return new RegExp(`^${prefix}:`, 'i').test(subject) ? subject : `${prefix}: ${subject}`;
}

export function registerComposeRoutes(app: FastifyInstance, deps: HttpDeps, secure: boolean): void {
  const { mailbox } = deps;

  async function initial(s: SessionInfo, q: Query): Promise<Draft> {
    const d: Draft = { to: q.to ?? '', cc: '', bcc: '', subject: '', body: '', from: s.user.address, inReplyTo: '', references: '', orig: null, draftUid: null, answered: null };
    if (q.draft) {
      const f = await mailbox.specialFolder(s.user, '\\Drafts');
      const uid = uidParam(q.draft);
      const found = await mailbox.find(s.user, f, uid);
      const raw = await parsed(found.message.id, async () => (await mailbox.read(s.user, f, uid)).data);
      const m = readable(raw);
      const bccHeader = raw.bcc ? (Array.isArray(raw.bcc) ? raw.bcc : [raw.bcc]).map((x) => x.text).join(', ') : '';
      return { ...d, to: m.to, cc: m.cc, bcc: bccHeader, subject: m.subject, body: m.text.replace(/\s+$/, ''), from: m.fromAddresses[0] ?? s.user.address,
        inReplyTo: String(raw.inReplyTo ?? ''), references: m.references.join(' '), orig: { f, uid, attachments: m.attachments }, draftUid: uid };
    }
    if (!q.mode || !q.uid) return d;
    const f = folderParam(q);
    const uid = uidParam(q.uid);
    const found = await mailbox.find(s.user, f, uid);
    const m = readable(await parsed(found.message.id, async () => (await mailbox.read(s.user, f, uid)).data));
    const own = new Set(deps.ctx.directory.sendersFor(s.user));
    const replyTo = m.replyToAddresses.length > 0 ? m.replyToAddresses : m.fromAddresses;
    const header = `On ${m.date ? m.date.toUTCString() : 'an unknown date'}, ${m.from} wrote:`;
    const refs = [...m.references, m.messageId].filter((x) => x !== '').join(' ');
    if (q.mode === 'reply' || q.mode === 'replyall') {
      const cc = q.mode === 'replyall' ? [...m.toAddresses, ...m.ccAddresses].filter((a) => !own.has(a.toLowerCase()) && !replyTo.includes(a)) : [];
      const mine = [...m.toAddresses, ...m.ccAddresses].find((a) => own.has(a.toLowerCase()));
      return { ...d, to: replyTo.join(', '), cc: [...new Set(cc)].join(', '), subject: prefixed('Re', m.subject), from: mine ?? s.user.address,
        body: `\n\n${header}\n${quote(m.text)}`, inReplyTo: m.messageId, references: refs, answered: { f, uid } };
    }
    if (q.mode === 'forward') {
      const block = `---------- Forwarded message ----------\nFrom: ${m.from}\nDate: ${m.date ? m.date.toUTCString() : ''}\nSubject: ${m.subject}\nTo: ${m.to}\n\n${m.text}`;
      return { ...d, subject: prefixed('Fwd', m.subject), body: `\n\n${block}`, references: refs, orig: { f, uid, attachments: m.attachments } };
    }
    throw new TandemError('HTTP_ERR_INVALID', 'invalid', `unknown compose mode "${q.mode}"`);
  }

  function form(s: SessionInfo, d: Draft, error: string | null) {
    const u = pageUser(s);
    const senders = deps.ctx.directory.sendersFor(s.user);
    return page({ title: 'Compose', user: u, area: 'mail', error }, html`
      <form method="post" action="/mail/compose" enctype="multipart/form-data" class="compose card">
        ${csrfField(u)}
        <input type="hidden" name="inReplyTo" value="${d.inReplyTo}"><input type="hidden" name="references" value="${d.references}">
        ${d.draftUid !== null ? html`<input type="hidden" name="draftUid" value="${d.draftUid}">` : ''}
        ${d.answered ? html`<input type="hidden" name="answeredF" value="${d.answered.f}"><input type="hidden" name="answeredUid" value="${d.answered.uid}">` : ''}
        <label>From <select name="from">${senders.map((a) => html`<option value="${a}" ${a === d.from ? html`selected` : ''}>${s.user.displayName ? `${s.user.displayName} <${a}>` : a}</option>`)}</select></label>
        <label>To <input type="text" name="to" value="${d.to}" list="contacts" autocomplete="off"></label>
        <label>Cc <input type="text" name="cc" value="${d.cc}"></label>
        <label>Bcc <input type="text" name="bcc" value="${d.bcc}"></label>
        <label>Subject <input type="text" name="subject" value="${d.subject}"></label>
        <textarea name="body" rows="16" aria-label="message text">${d.body}</textarea>
        ${d.orig && d.orig.attachments.length > 0 ? html`<fieldset><legend>Attachments of the original</legend>
          <input type="hidden" name="origF" value="${d.orig.f}"><input type="hidden" name="origUid" value="${d.orig.uid}">
          ${d.orig.attachments.map((a) => html`<label class="check"><input type="checkbox" name="origPart" value="${a.index}" checked> ${a.filename} (${formatBytes(a.size)})</label>`)}
        </fieldset>` : ''}
        <label>Attach files <input type="file" name="attachment" multiple></label>
        <div class="actions"><button type="submit" name="action" value="send">Send</button>
          <button type="submit" name="action" value="draft" class="secondary">Save draft</button></div>
      </form>`);
  }

  app.get('/mail/compose', async (request, reply) => {
    const s = requireSession(deps, request, reply, secure);
    if (!s) return reply;
    const d = await initial(s, request.query as Query);
    return reply.type('text/html; charset=utf-8').header('Cache-Control', 'private, no-store').send(form(s, d, null));
  });

  app.post('/mail/compose', async (request, reply) => {
    const s = requireSession(deps, request, reply, secure);
    if (!s) return reply;
    const limit = deps.ctx.settings.limits.messageSizeBytes;
    const f = await readComposeForm(request, limit);
    checkCsrf(s, f.fields.get('_csrf')?.[0]);
    const d: Draft = {
      from: field(f, 'from', 320), to: field(f, 'to', 20_000), cc: field(f, 'cc', 20_000), bcc: field(f, 'bcc', 20_000),
      subject: field(f, 'subject', 1000).replace(/[\r\n]+/g, ' '), body: field(f, 'body', limit),
      inReplyTo: field(f, 'inReplyTo', 1000).replace(/[\r\n]+/g, ''), references: field(f, 'references', 10_000).replace(/[\r\n]+/g, ' '),
      orig: null, draftUid: f.fields.get('draftUid') ? uidParam(field(f, 'draftUid')) : null,
      answered: f.fields.get('answeredUid') ? { f: field(f, 'answeredF', 255), uid: uidParam(field(f, 'answeredUid')) } : null,
    };
    const attachments: Array<{ filename: string; contentType: string; content: Buffer; cid?: string }> = f.files.map((x) => ({ ...x }));
    if (f.fields.get('origUid')) {
      const of = field(f, 'origF', 255);
      const ouid = uidParam(field(f, 'origUid'));
      const found = await mailbox.find(s.user, of, ouid);
      const mail = await parsed(found.message.id, async () => (await mailbox.read(s.user, of, ouid)).data);
      for (const n of f.fields.get('origPart') ?? []) {
        const a = mail.attachments[Number(n)];
        if (a) attachments.push({ filename: a.filename ?? 'attachment', contentType: a.contentType, content: a.content, ...(a.contentId ? { cid: a.contentId.replace(/^<|>$/g, '') } : {}) });
      }
    }
    const isDraft = field(f, 'action', 10) === 'draft';
    let to: string[]; let cc: string[]; let bcc: string[];
    try {
      to = parseAddresses(d.to); cc = parseAddresses(d.cc); bcc = parseAddresses(d.bcc);
    } catch (err) {
      return reply.code(400).type('text/html; charset=utf-8').send(form(s, d, (err as Error).message));
    }
    // One Message-ID and Date for both renderings: the copy sent (without Bcc) and the
    // copy kept in Sent or Drafts (with Bcc, so the user sees whom they blind-copied).
    const messageId = `<${randomBytes(12).toString('hex')}@${deps.ctx.settings.hostname}>`;
    const date = new Date();
    const render = (keepBcc: boolean) => {
      const node = new MailComposer({
        from: { name: s.user.displayName, address: d.from }, to, cc, bcc, subject: d.subject, text: d.body, messageId, date,
        ...(d.inReplyTo ? { inReplyTo: d.inReplyTo } : {}), ...(d.references ? { references: d.references } : {}), attachments,
      } as ConstructorParameters<typeof MailComposer>[0]).compile();
      // keepBcc is a property of the built node, not a composer option.
      (node as unknown as { keepBcc: boolean }).keepBcc = keepBcc;
      return node.build();
    };
    const kept = await render(true);
    const raw = bcc.length > 0 && !isDraft ? await render(false) : kept;
    const drafts = await mailbox.specialFolder(s.user, '\\Drafts');
    if (isDraft) {
      await mailbox.append(s.user, drafts, kept, ['\\Draft', '\\Seen']);
      if (d.draftUid !== null) await mailbox.expunge(s.user, drafts, [d.draftUid]);
      return reply.redirect(`/mail${query({ f: drafts, notice: 'Draft saved' })}`, 303);
    }
    let result;
    try {
      result = await submitMessage(deps.ctx, s.user, { sender: d.from, recipients: [...to, ...cc, ...bcc], data: raw },
        { ip: request.socket.remoteAddress ?? 'unknown', secure });
    } catch (err) {
      if (err instanceof TandemError && err.category !== 'temp') {
        return reply.code(400).type('text/html; charset=utf-8').send(form(s, { ...d, orig: null }, err.message));
      }
      throw err;
    }
    const sent = await mailbox.specialFolder(s.user, '\\Sent');
    await mailbox.append(s.user, sent, kept, ['\\Seen']);
    if (d.draftUid !== null) await mailbox.expunge(s.user, drafts, [d.draftUid]);
    if (d.answered) await mailbox.setFlags(s.user, d.answered.f, [d.answered.uid], 'add', ['\\Answered']).catch(() => undefined);
    const note = result.refused.length > 0 ? `Sent, but refused for: ${result.refused.join('; ')}` : `Sent to ${[...to, ...cc, ...bcc].length} recipient(s)`;
    return reply.redirect(`/mail${query({ notice: note })}`, 303);
  });
}
