// Test helpers for the http service: a volume with the http (and optionally smtp)
// service running as real processes, a cookie-keeping fetch client that logs in like a
// browser, and Chromium for the Playwright tests (skipped with a reason when absent).
import { existsSync, readdirSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SettingsInput } from '../../src/mail/core/settings.ts';
import { makeTestVolume, type TestVolume } from './volume.ts';
import { startServiceProcess, type ServiceProcess } from './process.ts';

export const CHROMIUM = process.env.TANDEM_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(process.cwd(), 'test-artifacts', 'screenshots');

/** Why browser tests cannot run here, or null when they can. */
export function browserSkipReason(): string | null {
  return existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (install the chromium package or set TANDEM_CHROMIUM); browser tests skipped`;
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return join(SCREENSHOT_DIR, `${name}.png`);
}

export interface WebStack {
  readonly vol: TestVolume;
  readonly http: ServiceProcess;
  readonly smtp: ServiceProcess | null;
  /** http://127.0.0.1:PORT */
  readonly base: string;
  readonly httpsBase: string;
  readonly smtpPort: number;
  /** Raw message files in a user's folder ('' = INBOX, '.Sent'...). */
  folderFiles(address: string, folder?: string): string[];
  close(): Promise<void>;
}

export async function startWebStack(opts: { smtp?: boolean; settings?: Partial<SettingsInput>; logDir?: string } = {}): Promise<WebStack> {
  const vol = await makeTestVolume({
    listen: {
      address: '127.0.0.1', smtp: { port: opts.smtp ? 0 : null }, submission: { port: null }, submissions: { port: null },
      pop3: { port: null }, pop3s: { port: null }, imap: { port: null }, imaps: { port: null },
      http: { port: 0 }, https: { port: 0 }, ldap: { port: null }, ldaps: { port: null }, password: { port: null },
    },
    auth: { allowPlaintextOnLoopback: true },
    ...(opts.logDir ? { http: { logDir: opts.logDir } } : {}),
    ...opts.settings,
  });
  let http: ServiceProcess | null = null;
  let smtp: ServiceProcess | null = null;
  try {
    [http, smtp] = await Promise.all([
      startServiceProcess('http', vol.root, { timeoutMs: 60_000 }),
      opts.smtp ? startServiceProcess('smtp', vol.root, { timeoutMs: 60_000 }) : Promise.resolve(null),
    ]);
  } catch (err) {
    await http?.kill();
    await smtp?.kill();
    vol.cleanup();
    throw err;
  }
  const h = http;
  const s = smtp;
  return {
    vol, http: h, smtp: s,
    base: `http://127.0.0.1:${h.port(0)}`,
    httpsBase: `https://127.0.0.1:${h.port(1)}`,
    smtpPort: s ? s.port(0) : 0,
    folderFiles(address, folder = '') {
      const [local, domain] = address.split('@') as [string, string];
      const root = join(vol.layout.maildir(domain, local), folder);
      const out: string[] = [];
      for (const sub of ['new', 'cur']) {
        const dir = join(root, sub);
        if (!existsSync(dir)) continue;
        for (const f of readdirSync(dir)) out.push(readFileSync(join(dir, f), 'utf8'));
      }
      return out;
    },
    async close() {
      await Promise.all([h.kill(), s?.kill()]);
      vol.cleanup();
    },
  };
}

export interface WebResponse { status: number; headers: Headers; text: string; location: string | null }

/** A fetch client with a cookie jar: what a browser keeps between requests. */
export class WebClient {
  readonly cookies = new Map<string, string>();

  constructor(readonly base: string) {}

  private remember(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(method: string, path: string, init: { body?: string | FormData; headers?: Record<string, string> } = {}): Promise<WebResponse> {
    const res = await fetch(`${this.base}${path}`, {
      method, redirect: 'manual', ...(init.body !== undefined ? { body: init.body } : {}),
      headers: { ...(this.cookies.size > 0 ? { cookie: this.cookieHeader() } : {}), ...init.headers },
      signal: AbortSignal.timeout(60_000),
    });
    this.remember(res);
    return { status: res.status, headers: res.headers, text: await res.text(), location: res.headers.get('location') };
  }

  get(path: string): Promise<WebResponse> { return this.request('GET', path); }

  post(path: string, form: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<WebResponse> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    return this.request('POST', path, { body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  }

  /** Posts the login form as a browser would (with its one-time token); returns the response. */
  async login(address: string, password: string): Promise<WebResponse> {
    const form = await this.get('/login');
    const token = /name="_login" value="([^"]+)"/.exec(form.text)?.[1];
    if (!token) throw new Error(`no login token in /login: ${form.status} ${form.text.slice(0, 300)}`);
    return this.post('/login', { _login: token, address, password, next: '/mail' });
  }

  /** The CSRF token of the current session, read from a page's forms. */
  async csrf(): Promise<string> {
    const page = await this.get('/settings');
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
    if (!token) throw new Error(`no CSRF token on /settings (${page.status}); not logged in?`);
    return token;
  }
}

/** Polls `fn` until it returns a truthy value or the deadline passes. */
export async function eventually<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
