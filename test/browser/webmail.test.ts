// The webmail and admin console in headless Chromium (Playwright), against the real
// http and smtp service processes: read a mail that came in over SMTP, send one that
// arrives in another mailbox, create a user in the console and log in as that user,
// and check that the page's CSP stops inline script even if markup got into the page.
// Screenshots go to test-artifacts/screenshots/ (gitignored).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { Browser, Page } from 'playwright-core';
import { startWebStack, browserSkipReason, screenshotPath, eventually, CHROMIUM, type WebStack } from '../helpers/browser.ts';
import { runTandem } from '../helpers/process.ts';
import { HOSTILE_SAMPLES } from '../../src/mail/http/policy/hostile-samples.ts';

const skip = browserSkipReason();
let stack: WebStack;
let browser: Browser;

before(async () => {
  if (skip) return;
  const { chromium } = await import('playwright-core');
  [stack, browser] = await Promise.all([
    startWebStack({ smtp: true }),
    chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] }),
  ]);
  const granted = runTandem(['mail', 'admin', 'grant', 'alice@demo.test', '--data', stack.vol.root]);
  assert.equal(granted.code, 0, granted.stderr);
});
after(async () => {
  await browser?.close();
  await stack?.close();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(45_000);
  page.on('dialog', (d) => { void d.accept(); });
  return page;
}

async function login(page: Page, address: string, password: string): Promise<void> {
  await page.goto(`${stack.base}/login`);
  await page.fill('input[name=address]', address);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForURL(/\/mail/);
}

async function smtpSend(mail: SendMailOptions): Promise<void> {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: stack.smtpPort, secure: false, ignoreTLS: true });
  try { await t.sendMail(mail); } finally { t.close(); }
}

test('log in and read a mail delivered over SMTP', { skip: skip ?? false }, async () => {
  await smtpSend({ from: 'Bob Builder <bob@demo.test>', to: 'alice@demo.test', subject: 'Lunch on Friday?', text: 'Shall we meet at noon?',
    html: '<p>Shall we meet at <b>noon</b>?</p>' });
  const page = await newPage();
  await login(page, 'alice@demo.test', 'wonderland');
  await eventually(async () => {
    await page.goto(`${stack.base}/mail`);
    return (await page.locator('a', { hasText: 'Lunch on Friday?' }).count()) > 0;
  }, 'the message in the list');
  await expectText(page, 'tr.unseen', 'Bob Builder');
  await page.screenshot({ path: screenshotPath('webmail-inbox'), fullPage: true });
  await page.click('text=Lunch on Friday?');
  await page.waitForSelector('iframe.body');
  const frame = page.frameLocator('iframe.body');
  await expectFrameText(frame, 'noon');
  assert.equal(await frame.locator('b').textContent(), 'noon');
  await page.screenshot({ path: screenshotPath('webmail-read'), fullPage: true });
  await page.goto(`${stack.base}/mail`);
  assert.equal(await page.locator('tr.seen', { hasText: 'Lunch on Friday?' }).count(), 1, 'now marked read');
  await page.context().close();
});

test('an embedded cid: image shows in the sandboxed body frame; a remote one only on request', { skip: skip ?? false }, async () => {
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
  await smtpSend({ from: 'bob@demo.test', to: 'alice@demo.test', subject: 'Picture inside',
    html: '<p>logo <img id="logo" src="cid:logo@demo" alt="logo"> and <img id="remote" src="http://127.0.0.1:9/pixel.gif" alt="remote"></p>',
    attachments: [{ filename: 'logo.png', content: png, contentType: 'image/png', cid: 'logo@demo' }] });
  const page = await newPage();
  await login(page, 'alice@demo.test', 'wonderland');
  await eventually(async () => {
    await page.goto(`${stack.base}/mail`);
    return (await page.locator('a', { hasText: 'Picture inside' }).count()) > 0;
  }, 'the message in the list');
  await page.click('text=Picture inside');
  const frame = page.frameLocator('iframe.body');
  await frame.locator('img[alt=logo]').waitFor({ state: 'attached' });
  await eventually(async () => (await frame.locator('img[alt=logo]').evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).naturalWidth)) === 1, 'the cid image to load');
  assert.equal(await frame.locator('img[alt=remote]').getAttribute('src'), null, 'remote image held back');
  await expectText(page, '.remote-note', 'remote image(s) blocked');
  await page.click('text=Show remote content');
  await page.frameLocator('iframe.body').locator('img[alt=remote][src]').waitFor({ state: 'attached' });
  assert.equal(await page.frameLocator('iframe.body').locator('img[alt=remote]').getAttribute('src'), 'http://127.0.0.1:9/pixel.gif');
  await page.context().close();
});

test('compose and send: the message arrives in bob\'s Maildir and in alice\'s Sent', { skip: skip ?? false }, async () => {
  const page = await newPage();
  await login(page, 'alice@demo.test', 'wonderland');
  await page.click('a.button:text("Compose")');
  await page.fill('input[name=to]', 'bob@demo.test');
  await page.fill('input[name=subject]', 'Sent from Chromium');
  await page.fill('textarea[name=body]', 'Hello Bob, this came through the webmail.');
  await page.setInputFiles('input[name=attachment]', { name: 'plan.txt', mimeType: 'text/plain', buffer: Buffer.from('step 1\nstep 2\n') });
  await page.screenshot({ path: screenshotPath('webmail-compose'), fullPage: true });
  await page.click('button[value=send]');
  await page.waitForURL(/notice=Sent/);
  const bobs = stack.folderFiles('bob@demo.test').find((m) => m.includes('Subject: Sent from Chromium'));
  assert.ok(bobs, 'in bob\'s INBOX on disk');
  assert.match(bobs, /this came through the webmail/);
  assert.match(bobs, /filename=plan\.txt/);
  assert.ok(stack.folderFiles('alice@demo.test', '.Sent').some((m) => m.includes('Subject: Sent from Chromium')));
  await page.context().close();
});

test('create a user in the admin console, then log in as that user', { skip: skip ?? false }, async () => {
  const page = await newPage();
  await login(page, 'alice@demo.test', 'wonderland');
  await page.click('nav.top a:text("Admin")');
  await page.click('aside a:text("Users")');
  const form = page.locator('form#user-add');
  await form.locator('input[name=address]').fill('erin@demo.test');
  await form.locator('input[name=displayName]').fill('Erin Example');
  await form.locator('input[name=password]').fill('correct-horse-9');
  await form.locator('button[type=submit]').click();
  await page.waitForURL(/\/admin\/user\?a=erin%40demo\.test/);
  await expectText(page, '.notice', 'user erin@demo.test created');
  await page.screenshot({ path: screenshotPath('admin-user-created'), fullPage: true });
  await page.click('nav.top button:text("Log out")');
  await page.waitForURL(/\/login/);
  await login(page, 'erin@demo.test', 'correct-horse-9');
  await expectText(page, 'nav.top .who', 'Erin Example');
  assert.equal(await page.locator('nav.top a:text("Admin")').count(), 0, 'erin is not an admin');
  const admin = await page.goto(`${stack.base}/admin/users`);
  assert.equal(admin?.status(), 403);
  await page.screenshot({ path: screenshotPath('webmail-new-user'), fullPage: true });
  await page.context().close();
});

test('the page CSP stops inline script and handlers; hostile mail runs nothing', { skip: skip ?? false }, async () => {
  for (const name of ['script tag', 'event handler', 'svg with script', 'javascript: link']) {
    await smtpSend({ from: 'mallory@evil.example', to: 'alice@demo.test', subject: `browser ${name}`, html: HOSTILE_SAMPLES[name]! });
  }
  const page = await newPage();
  const violations: string[] = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
  await login(page, 'alice@demo.test', 'wonderland');
  for (const name of ['script tag', 'event handler', 'svg with script', 'javascript: link']) {
    await eventually(async () => {
      await page.goto(`${stack.base}/mail?q=${encodeURIComponent(`browser ${name}`)}&in=subject`);
      return (await page.locator('a', { hasText: `browser ${name}` }).count()) > 0;
    }, `message ${name}`);
    await page.click(`a:text("browser ${name}")`);
    await page.waitForSelector('iframe.body');
    await page.waitForTimeout(300);
    for (const frame of page.frames()) {
      assert.equal(await frame.evaluate(() => (globalThis as { __xss?: number }).__xss).catch(() => undefined), undefined, `${name}: nothing ran in ${frame.url()}`);
    }
  }
  await page.screenshot({ path: screenshotPath('webmail-hostile'), fullPage: true });
  // Even markup injected into our own page cannot run: no inline script, no handlers.
  await page.evaluate(() => {
    const d = (globalThis as unknown as { document: { body: { insertAdjacentHTML(p: string, h: string): void; appendChild(n: unknown): void }; createElement(t: string): { textContent: string } } }).document;
    d.body.insertAdjacentHTML('beforeend', '<img src="data:x" onerror="window.__xss=1"><a id="jsl" href="javascript:window.__xss=2">x</a>');
    const s = d.createElement('script');
    s.textContent = 'window.__xss = 3';
    d.body.appendChild(s);
  });
  await page.click('#jsl').catch(() => undefined);
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => (globalThis as { __xss?: number }).__xss), undefined);
  assert.ok(violations.length > 0, 'the browser reported CSP violations for the injected script');
  await page.context().close();
});

async function expectText(page: Page, selector: string, text: string): Promise<void> {
  await page.locator(selector, { hasText: text }).first().waitFor();
}

async function expectFrameText(frame: ReturnType<Page['frameLocator']>, text: string): Promise<void> {
  await frame.locator('body', { hasText: text }).waitFor();
}
