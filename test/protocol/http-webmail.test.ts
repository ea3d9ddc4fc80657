// The webmail over real HTTP against the http service process (and the smtp service
// for mail delivered the normal way): login and logout, cookie flags, security headers,
// CSRF and Origin refusals, login throttling, reading with hostile HTML, attachments,
// sending with submission rules (local delivery, remote queued, Sent copy), drafts,
// delete to Trash, and the user's settings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { startWebStack, WebClient, eventually, type WebStack } from '../helpers/browser.ts';
import { HOSTILE_SAMPLES, FORBIDDEN_PATTERNS } from '../../src/mail/http/policy/hostile-samples.ts';

let stack: WebStack;

before(async () => {
  stack = await startWebStack({ smtp: true, settings: { auth: { allowPlaintextOnLoopback: true, maxFailuresPerUser: 3, maxFailuresPerIp: 50 } } });
});
after(async () => { await stack?.close(); });

async function smtpSend(mail: SendMailOptions): Promise<void> {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: stack.smtpPort, secure: false, ignoreTLS: true, tls: { rejectUnauthorized: false } });
  try {
    await t.sendMail(mail);
  } finally {
    t.close();
  }
}

async function loggedIn(address = 'alice@demo.test', password = 'wonderland'): Promise<WebClient> {
  const c = new WebClient(stack.base);
  const r = await c.login(address, password);
  assert.equal(r.status, 303, r.text);
  return c;
}

/** UID of the message whose subject is `subject` in a folder, from the list page. */
async function uidOf(c: WebClient, subject: string, folder = 'INBOX'): Promise<number> {
  return eventually(async () => {
    const page = await c.get(`/mail?f=${encodeURIComponent(folder)}&q=${encodeURIComponent(subject)}&in=subject`);
    const m = new RegExp(`uid=(\\d+)">${subject.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}<`).exec(page.text);
    return m ? Number(m[1]) : 0;
  }, `message "${subject}" in ${folder}`);
}

test('login sets an HttpOnly SameSite=Strict session cookie; logout ends the session on the server', async () => {
  const c = new WebClient(stack.base);
  const wrong = await c.login('alice@demo.test', 'not-her-password');
  assert.equal(wrong.status, 401);
  assert.match(wrong.text, /Wrong address or password/);
  const ok = await c.login('alice@demo.test', 'wonderland');
  assert.equal(ok.status, 303);
  assert.equal(ok.location, '/mail');
  const cookie = ok.headers.getSetCookie().find((l) => l.startsWith('tandem='));
  assert.ok(cookie, 'session cookie set');
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const inbox = await c.get('/mail');
  assert.equal(inbox.status, 200);
  assert.match(inbox.text, /INBOX/);
  const stolen = c.cookies.get('tandem')!;
  const out = await c.post('/logout', { _csrf: await c.csrf() });
  assert.equal(out.status, 303);
  // The old cookie value, replayed, no longer opens anything.
  const replay = new WebClient(stack.base);
  replay.cookies.set('tandem', stolen);
  const after = await replay.get('/mail');
  assert.equal(after.status, 303);
  assert.match(after.location ?? '', /^\/login/);
});

test('every page carries the strict CSP, nosniff, no-referrer and frame denial', async () => {
  const c = await loggedIn();
  const anonymous = new WebClient(stack.base);
  for (const path of ['/login', '/mail', '/settings', '/mail/compose', '/mail/contacts']) {
    const r = await (path === '/login' ? anonymous : c).get(path);
    assert.equal(r.status, 200, path);
    const csp = r.headers.get('content-security-policy') ?? '';
    for (const part of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "img-src 'self' data:"]) {
      assert.ok(csp.includes(part), `${path}: CSP has ${part}: ${csp}`);
    }
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
    assert.doesNotMatch(r.text, /<script(?![^>]*\bsrc="\/assets\/app\.js")/, `${path} has no inline script`);
    assert.doesNotMatch(r.text, /\son[a-z]+="/, `${path} has no inline event handler`);
  }
});

test('state-changing forms without the session CSRF token, or from another Origin, are refused', async () => {
  const c = await loggedIn();
  const noToken = await c.post('/mail/action', { f: 'INBOX', uid: '1', op: 'read' });
  assert.equal(noToken.status, 403);
  assert.match(noToken.text, /CSRF/);
  const wrongToken = await c.post('/settings/vacation', { _csrf: 'x'.repeat(32), enabled: '1', subject: 'away', body: 'gone' });
  assert.equal(wrongToken.status, 403);
  const csrf = await c.csrf();
  const foreign = await c.post('/settings/vacation', { _csrf: csrf, enabled: '1', subject: 'away', body: 'gone' }, { origin: 'https://evil.example' });
  assert.equal(foreign.status, 403);
  assert.match(foreign.text, /cross-site/);
  const logoutWithout = await c.post('/logout', {});
  assert.equal(logoutWithout.status, 403, 'logout is a state change too');
  // The login form has its own token: a form posted from elsewhere (no token cookie) fails.
  const bare = new WebClient(stack.base);
  const forged = await bare.post('/login', { address: 'alice@demo.test', password: 'wonderland', _login: 'guess' });
  assert.equal(forged.status, 403);
  assert.equal(bare.cookies.has('tandem'), false);
  // With the right token the same change goes through.
  const ok = await c.post('/settings/vacation', { _csrf: csrf, enabled: '1', subject: 'away', body: 'gone' });
  assert.equal(ok.status, 303);
  assert.match((await c.get('/settings')).text, /value="away"/);
});

test('failed logins are throttled per user like POP3: even the right password waits', async () => {
  const c = new WebClient(stack.base);
  for (let i = 0; i < 3; i++) assert.equal((await c.login('bob@demo.test', `guess-${i}`)).status, 401);
  const blocked = await c.login('bob@demo.test', 'builder');
  assert.equal(blocked.status, 429);
  assert.match(blocked.text, /Too many failed logins; try again in \d+ seconds/);
  assert.ok(Number(blocked.headers.get('retry-after')) > 0);
  // Another user is not affected.
  assert.equal((await new WebClient(stack.base).login('alice@demo.test', 'wonderland')).status, 303);
});

test('hostile HTML mail delivered over SMTP is shown sanitised, in a sandboxed frame with its own CSP', async () => {
  const c = await loggedIn();
  const names = Object.keys(HOSTILE_SAMPLES);
  for (const name of names) {
    await smtpSend({ from: 'mallory@evil.example', to: 'alice@demo.test', subject: `hostile ${name}`, html: HOSTILE_SAMPLES[name]!, text: 'plain' });
  }
  for (const name of names) {
    const uid = await uidOf(c, `hostile ${name}`);
    const read = await c.get(`/mail/read?f=INBOX&uid=${uid}`);
    assert.equal(read.status, 200);
    assert.match(read.text, /<iframe class="body" title="message body" sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"/);
    const body = await c.get(`/mail/body?f=INBOX&uid=${uid}`);
    assert.equal(body.status, 200);
    const inner = body.text.slice(body.text.indexOf('<body>'));
    for (const bad of FORBIDDEN_PATTERNS) assert.doesNotMatch(inner, bad, `${name}: ${inner}`);
    const csp = body.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /script-src/);
    assert.match(csp, /img-src http:\/\/127\.0\.0\.1:\d+ data:;/, 'no remote images until asked');
  }
  const tracker = await uidOf(c, 'hostile remote image and srcset');
  const page = await c.get(`/mail/read?f=INBOX&uid=${tracker}`);
  assert.match(page.text, /remote image\(s\) blocked/);
  const shown = await c.get(`/mail/body?f=INBOX&uid=${tracker}&remote=1`);
  assert.match(shown.text, /src="https:\/\/tracker\.example\/p\.gif"/);
  assert.match(shown.headers.get('content-security-policy') ?? '', /img-src [^;]*https:/);
});

test('attachments download as attachments with inert types; cid: images are served to the body', async () => {
  const c = await loggedIn();
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
  await smtpSend({
    from: 'bob@demo.test', to: 'alice@demo.test', subject: 'with attachments',
    html: '<p>logo: <img src="cid:logo@demo"></p>', text: 'see attached',
    attachments: [
      { filename: 'page.html', content: '<script>alert(1)</script>', contentType: 'text/html' },
      { filename: 'vector.svg', content: '<svg onload="alert(1)"/>', contentType: 'image/svg+xml' },
      { filename: 'notes "1".txt', content: 'plain notes', contentType: 'text/plain' },
      { filename: 'logo.png', content: png, contentType: 'image/png', cid: 'logo@demo' },
    ],
  });
  const uid = await uidOf(c, 'with attachments');
  const read = await c.get(`/mail/read?f=INBOX&uid=${uid}`);
  const parts = [...read.text.matchAll(/href="\/mail\/part\?f=INBOX&amp;uid=\d+&amp;n=(\d+)" download>([^<]+)</g)].map((m) => [Number(m[1]), m[2]] as const);
  assert.deepEqual(parts.map((p) => p[1]), ['page.html', 'vector.svg', 'notes &quot;1&quot;.txt']);
  for (const [n] of parts) {
    const r = await c.get(`/mail/part?f=INBOX&uid=${uid}&n=${n}`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-disposition') ?? '', /^attachment; filename="/);
    assert.match(r.headers.get('content-security-policy') ?? '', /sandbox/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.doesNotMatch(r.headers.get('content-type') ?? '', /html|svg|xml|javascript/);
  }
  const html = await c.get(`/mail/part?f=INBOX&uid=${uid}&n=${parts[0]![0]}`);
  assert.equal(html.headers.get('content-type'), 'application/octet-stream');
  const body = await c.get(`/mail/body?f=INBOX&uid=${uid}`);
  const cid = /src="(\/mail\/cid\?[^"]+)"/.exec(body.text)?.[1]?.replace(/&amp;/g, '&');
  assert.ok(cid, body.text);
  const img = await c.get(cid);
  assert.equal(img.status, 200);
  assert.equal(img.headers.get('content-type'), 'image/png');
  // Someone else's session cannot read Alice's message.
  const bob = await loggedIn('bob@demo.test', 'builder').catch(() => null);
  if (bob) assert.notEqual((await bob.get(`/mail/part?f=INBOX&uid=${uid}&n=0`)).status, 200);
});

async function compose(c: WebClient, fields: Record<string, string>, files: Array<{ name: string; type: string; data: string }> = []) {
  const fd = new FormData();
  fd.set('_csrf', await c.csrf());
  fd.set('from', 'alice@demo.test');
  for (const [k, v] of Object.entries(fields)) fd.set(k, v);
  for (const f of files) fd.append('attachment', new Blob([f.data], { type: f.type }), f.name);
  return c.request('POST', '/mail/compose', { body: fd });
}

test('send: a local recipient gets it durably, a remote one is queued, a copy lands in Sent', async () => {
  const c = await loggedIn();
  const r = await compose(c, { to: 'bob@demo.test', cc: 'someone@remote.example', bcc: 'alice@demo.test', subject: 'web hello', body: 'hello from the webmail', action: 'send' },
    [{ name: 'data.csv', type: 'text/csv', data: 'a,b\n1,2\n' }]);
  assert.equal(r.status, 303, r.text);
  assert.match(decodeURIComponent(r.location ?? ''), /Sent to 3 recipient/);
  const bobs = stack.folderFiles('bob@demo.test').find((m) => m.includes('Subject: web hello'));
  assert.ok(bobs, 'in bob\'s INBOX');
  assert.match(bobs, /^Return-Path: <alice@demo\.test>/);
  assert.match(bobs, /Received: from webmail \(\[127\.0\.0\.1\]\)/);
  assert.match(bobs, /^Message-ID: </m);
  assert.match(bobs, /filename=data\.csv/);
  assert.doesNotMatch(bobs, /^Bcc:/m, 'recipients do not see the Bcc');
  assert.ok(stack.folderFiles('alice@demo.test').some((m) => m.includes('Subject: web hello')), 'the Bcc recipient got it');
  const sent = stack.folderFiles('alice@demo.test', '.Sent').find((m) => m.includes('Subject: web hello'));
  assert.ok(sent, 'copy in Sent');
  assert.match(sent, /^Bcc: alice@demo\.test/m, 'the Sent copy keeps the Bcc');
  assert.equal(/^Message-ID: (.*)$/m.exec(sent)?.[1], /^Message-ID: (.*)$/m.exec(bobs)?.[1], 'same Message-ID');
  const queued = readdirSync(stack.vol.layout.queueDir).filter((f) => f.endsWith('.json'));
  assert.ok(queued.length >= 1, 'remote recipient queued');
});

test('send refuses what SMTP submission refuses: a foreign sender, an unknown local user', async () => {
  const c = await loggedIn();
  const foreign = await compose(c, { from: 'bob@demo.test', to: 'bob@demo.test', subject: 'spoof', body: 'x', action: 'send' });
  assert.equal(foreign.status, 400);
  assert.match(foreign.text, /you may not send as bob@demo\.test/);
  const unknown = await compose(c, { to: 'nobody@demo.test', subject: 'lost', body: 'x', action: 'send' });
  assert.equal(unknown.status, 400);
  assert.match(unknown.text, /nobody@demo\.test: no such user here/);
  assert.equal(stack.folderFiles('bob@demo.test').some((m) => m.includes('Subject: spoof')), false);
});

test('drafts: save, resume, send; reply marks the original answered; delete goes to Trash, then for good', async () => {
  const c = await loggedIn();
  const saved = await compose(c, { to: 'bob@demo.test', bcc: 'alice@demo.test', subject: 'draft one', body: 'first words', action: 'draft' });
  assert.equal(saved.status, 303);
  const draftUid = await uidOf(c, 'draft one', 'Drafts');
  const resume = await c.get(`/mail/compose?draft=${draftUid}`);
  assert.match(resume.text, /value="bob@demo\.test"/);
  assert.match(resume.text, /name="bcc" value="alice@demo\.test"/, 'the draft kept its Bcc');
  assert.match(resume.text, />first words<\/textarea>/);
  const sent = await compose(c, { to: 'bob@demo.test', subject: 'draft one', body: 'final words', draftUid: String(draftUid), action: 'send' });
  assert.equal(sent.status, 303, sent.text);
  const drafts = await c.get('/mail?f=Drafts');
  assert.doesNotMatch(drafts.text, /draft one/, 'the sent draft is gone from Drafts');
  assert.ok(stack.folderFiles('bob@demo.test').some((m) => m.includes('final words')));

  await smtpSend({ from: 'bob@demo.test', to: 'alice@demo.test', subject: 'question', text: 'how are you?' });
  const q = await uidOf(c, 'question');
  const form = await c.get(`/mail/compose?mode=reply&f=INBOX&uid=${q}`);
  assert.match(form.text, /name="subject" value="Re: question"/);
  assert.match(form.text, /&gt; how are you\?/);
  const answered = /name="answeredUid" value="(\d+)"/.exec(form.text)?.[1];
  assert.equal(Number(answered), q);
  const reply = await compose(c, { to: 'bob@demo.test', subject: 'Re: question', body: 'fine', answeredF: 'INBOX', answeredUid: String(q), action: 'send' });
  assert.equal(reply.status, 303);
  const inboxFiles = readdirSync(`${stack.vol.layout.maildir('demo.test', 'alice')}/cur`);
  assert.ok(inboxFiles.some((f) => /:2,[A-Z]*R/.test(f)), 'original has \\Answered (R) in its Maildir name');

  const csrf = await c.csrf();
  const del = await c.post('/mail/action', { _csrf: csrf, f: 'INBOX', uid: String(q), op: 'delete' });
  assert.equal(del.status, 303);
  const trashUid = await uidOf(c, 'question', 'Trash');
  const gone = await c.post('/mail/action', { _csrf: csrf, f: 'Trash', uid: String(trashUid), op: 'delete' });
  assert.match(decodeURIComponent(gone.location ?? ''), /deleted for good/);
  assert.doesNotMatch((await c.get('/mail?f=Trash')).text, />question</);
});

test('password change applies the policy and ends the user\'s other sessions', async () => {
  const one = await loggedIn('bob@demo.test', 'builder').catch(async () => {
    // The throttle test may still hold bob; a fresh user avoids depending on its window.
    return null;
  });
  await stack.vol.directory.addUser({ address: 'carol@demo.test', password: 'carol-secret' });
  const a = await loggedIn('carol@demo.test', 'carol-secret');
  const b = await loggedIn('carol@demo.test', 'carol-secret');
  const weak = await a.post('/settings/password', { _csrf: await a.csrf(), current: 'carol-secret', password: 'short', confirm: 'short' });
  assert.match(decodeURIComponent(weak.location ?? ''), /at least 10 characters/);
  const wrong = await a.post('/settings/password', { _csrf: await a.csrf(), current: 'nope', password: 'a-long-new-one', confirm: 'a-long-new-one' });
  assert.match(decodeURIComponent(wrong.location ?? ''), /current password is wrong/);
  const ok = await a.post('/settings/password', { _csrf: await a.csrf(), current: 'carol-secret', password: 'a-long-new-one', confirm: 'a-long-new-one' });
  assert.match(decodeURIComponent(ok.location ?? ''), /Password changed/);
  assert.equal((await a.get('/mail')).status, 200, 'this session stays');
  assert.equal((await b.get('/mail')).status, 303, 'the other session ended');
  assert.equal((await new WebClient(stack.base).login('carol@demo.test', 'a-long-new-one')).status, 303);
  void one;
});

test('forwarding settings are validated and stored; the address book lists the domain', async () => {
  const c = await loggedIn();
  const csrf = await c.csrf();
  const bad = await c.post('/settings/forwarding', { _csrf: csrf, forwardTo: 'not an address' });
  assert.match(decodeURIComponent(bad.location ?? ''), /is not a mail address/);
  const loop = await c.post('/settings/forwarding', { _csrf: csrf, forwardTo: 'alice@demo.test' });
  assert.match(decodeURIComponent(loop.location ?? ''), /loop/);
  const ok = await c.post('/settings/forwarding', { _csrf: csrf, forwardTo: 'bob@demo.test, ext@remote.example', keepCopy: '1' });
  assert.match(decodeURIComponent(ok.location ?? ''), /Forwarding saved/);
  assert.match((await c.get('/settings')).text, /value="bob@demo\.test, ext@remote\.example"/);
  const book = await c.get('/mail/contacts');
  assert.match(book.text, /bob@demo\.test/);
  assert.match(book.text, /Bob Builder/);
});

test('the list pages, sorts and searches; a request for another folder\'s UID is a clean 404', async () => {
  const c = await loggedIn();
  for (const s of ['sort-b', 'sort-a', 'sort-c']) await smtpSend({ from: 'bob@demo.test', to: 'alice@demo.test', subject: s, text: `body of ${s} zebra` });
  await uidOf(c, 'sort-c');
  const asc = await c.get('/mail?f=INBOX&q=sort-&in=subject&sort=subject&dir=asc');
  const order = [...asc.text.matchAll(/>(sort-[abc])</g)].map((m) => m[1]);
  assert.deepEqual(order, ['sort-a', 'sort-b', 'sort-c']);
  const desc = await c.get('/mail?f=INBOX&q=sort-&in=subject&sort=subject&dir=desc');
  assert.deepEqual([...desc.text.matchAll(/>(sort-[abc])</g)].map((m) => m[1]), ['sort-c', 'sort-b', 'sort-a']);
  const body = await c.get('/mail?f=INBOX&q=zebra&in=body');
  assert.equal([...body.text.matchAll(/>(sort-[abc])</g)].length, 3);
  const missing = await c.get('/mail/read?f=INBOX&uid=999999');
  assert.equal(missing.status, 404);
  assert.match(missing.text, /no message with UID 999999/);
  const badFolder = await c.get('/mail?f=NoSuchFolder');
  assert.equal(badFolder.status, 404);
});
