// The page frame every webmail and console page shares: head with the stylesheet and
// the one script module (no inline script anywhere, so the CSP can forbid it), the top
// bar, and flash messages passed through the query string.
import { html, type Html } from '../../../lib/html.ts';

export interface PageUser { address: string; displayName: string; admin: boolean; csrf: string }

export interface PageOptions {
  readonly title: string;
  readonly user?: PageUser | null;
  /** 'mail' | 'settings' | 'admin' highlights the top bar entry. */
  readonly area?: string;
  readonly notice?: string | null;
  readonly error?: string | null;
}

export function csrfField(user: PageUser | null | undefined): Html {
  return user ? html`<input type="hidden" name="_csrf" value="${user.csrf}">` : html``;
}

export function page(opts: PageOptions, body: Html): string {
  const u = opts.user;
  const nav = u ? html`<nav class="top">
      <a class="brand" href="/mail">Tandem</a>
      <a href="/mail" class="${opts.area === 'mail' ? 'on' : ''}">Mail</a>
      <a href="/mail/contacts" class="${opts.area === 'contacts' ? 'on' : ''}">Address book</a>
      <a href="/settings" class="${opts.area === 'settings' ? 'on' : ''}">Settings</a>
      ${u.admin ? html`<a href="/admin" class="${opts.area === 'admin' ? 'on' : ''}">Admin</a>` : ''}
      <span class="who">${u.displayName || u.address}</span>
      <form method="post" action="/logout" class="inline">${csrfField(u)}<button type="submit" class="link">Log out</button></form>
    </nav>` : html`<nav class="top"><span class="brand">Tandem</span></nav>`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title} - Tandem</title><link rel="stylesheet" href="/assets/app.css"><script type="module" src="/assets/app.js"></script></head>
<body>${nav}
<main>
${opts.notice ? html`<p class="notice" role="status">${opts.notice}</p>` : ''}
${opts.error ? html`<p class="error" role="alert">${opts.error}</p>` : ''}
${body}
</main></body></html>`.value;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function formatDate(ms: number | null): string {
  if (ms === null) return '';
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 16);
}
