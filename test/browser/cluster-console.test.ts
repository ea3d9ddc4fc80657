// The cluster console in headless Chromium (Playwright), against two real node daemons on
// loopback: log in on sv2's console, move the group mail to sv2 with the page's form and
// watch its state change live (the page is never reloaded), then suspend and resume the
// monitors of a resource. Screenshots go to test-artifacts/screenshots/ (gitignored).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { browserSkipReason, screenshotPath, CHROMIUM } from '../helpers/browser.ts';
import { eventually } from '../helpers/cluster.ts';
import { makeConsoleCluster, startOnHome, ADMIN, type ConsoleCluster } from '../integration/cluster-console-harness.ts';

const skip = browserSkipReason();
let c: ConsoleCluster;
let browser: Browser;

before(async () => {
  if (skip) return;
  const { chromium } = await import('playwright-core');
  [c, browser] = await Promise.all([
    makeConsoleCluster(),
    chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] }),
  ]);
  await startOnHome(c);
});
after(async () => {
  await browser?.close();
  await c?.h.cleanup();
});

async function loggedIn(node: string): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(45_000);
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${c.base(node)}/`);
  await page.waitForURL(/\/login$/);
  await page.fill('#user', ADMIN.name);
  await page.fill('#password', ADMIN.password);
  await page.click('button[type=submit]');
  await page.waitForURL(`${c.base(node)}/`);
  await page.locator('#live-state', { hasText: /^on/ }).waitFor();
  return { page, problems };
}

test('move the mail group from sv2\'s console and watch it come online on sv2 without a reload', { skip: skip ?? false }, async (t) => {
  const { page, problems } = await loggedIn('sv2');
  const group = page.locator('#group-mail');
  assert.equal(await group.getAttribute('data-phase'), 'online');
  assert.equal(await group.getAttribute('data-holder'), 'sv1');
  // A mark in the page's memory (gone after any reload) and a record of every state the
  // live stream shows for the group.
  // (A string: the page runs it as is, without the test transpiler's helpers.)
  await page.evaluate(`
    window.noReload = true;
    window.phases = [];
    new MutationObserver(() => {
      const a = document.getElementById('group-mail');
      const state = a?.getAttribute('data-phase') + '@' + a?.getAttribute('data-holder');
      if (window.phases.at(-1) !== state) window.phases.push(state);
    }).observe(document.getElementById('groups'), { childList: true, subtree: true, attributes: true });
  `);
  await page.screenshot({ path: screenshotPath('cluster-console-sv1'), fullPage: true });

  await page.selectOption('#move-to-mail', 'sv2');
  await page.evaluate('window.phases = []');
  await page.click('#group-mail form[action="/group/mail/move"] button[type=submit]');
  await page.locator('#flash', { hasText: 'group mail: moving to sv2' }).waitFor();
  await page.waitForSelector('#group-mail[data-phase="online"][data-holder="sv2"]', { timeout: 60_000 });
  await page.screenshot({ path: screenshotPath('cluster-console-moved-to-sv2'), fullPage: true });

  const seen = await page.evaluate('({ noReload: window.noReload, phases: window.phases })') as { noReload?: boolean; phases: string[] };
  assert.equal(seen.noReload, true, 'the page was never reloaded');
  t.diagnostic(`states seen live: ${seen.phases.join(' -> ')}`);
  assert.equal(seen.phases.at(-1), 'online@sv2');
  assert.ok(seen.phases.some((p) => /^(moving|starting|stopping|offline)@/.test(p)), `an intermediate state was shown live: ${seen.phases.join(' -> ')}`);
  const g = (await c.h.status('sv1')).groups[0]!;
  assert.equal(g.holder, 'sv2', 'the cluster agrees: sv2 holds mail');
  assert.deepEqual(c.h.runners('mail', 'app'), ['sv2']);
  assert.match(await page.locator('#res-mail-app').innerText(), /stopped\s+running/, 'app: stopped on sv1, running on sv2');
  assert.match(await page.locator('#events').innerText(), /console user admin on sv2: group mail: moving to sv2/);
  assert.deepEqual(problems, [], 'no script errors or CSP violations');
  await page.context().close();
});

test('suspend and resume the monitors of a resource from sv1\'s console', { skip: skip ?? false }, async () => {
  const { page, problems } = await loggedIn('sv1');
  const row = page.locator('#res-mail-app');
  await row.getByRole('button', { name: 'Suspend the monitors of app' }).click();
  await page.waitForSelector('#res-mail-app .mon-suspended');
  assert.match(await row.innerText(), /alive \(agent\): suspended/);
  await eventually('sv2 sees app suspended', async () => (await c.h.status('sv2')).groups[0]!.suspended.includes('app'), 20_000);
  await page.screenshot({ path: screenshotPath('cluster-console-suspended'), fullPage: true });

  await row.getByRole('button', { name: 'Resume the monitors of app' }).click();
  await page.waitForSelector('#res-mail-app .mon-ok');
  await eventually('sv2 sees app resumed', async () => (await c.h.status('sv2')).groups[0]!.suspended.length === 0, 20_000);
  assert.match(await page.locator('#events').innerText(), /monitors of mail\/app resumed/);
  assert.deepEqual(problems, []);

  // Markup that reached the page could still not run: the CSP blocks inline handlers,
  // javascript: URLs and inline scripts (the browser reports the violations).
  await page.evaluate(`
    document.body.insertAdjacentHTML('beforeend', '<img src="data:x" onerror="window.xss=1"><a id="jsl" href="javascript:window.xss=2">x</a>');
    const s = document.createElement('script'); s.textContent = 'window.xss = 3'; document.body.appendChild(s);
  `);
  await page.click('#jsl');
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate('window.xss'), undefined, 'nothing injected ran');
  assert.ok(problems.some((p) => /Content Security Policy/.test(p)), 'the browser reports the blocked script');
  await page.context().close();
});
