// The response headers every page gets (pure). The page CSP forbids inline scripts and
// event handlers, so even markup that slipped past the sanitizer cannot run; a mail's
// HTML body is a separate, sandboxed document with an even narrower policy.

export interface HeaderSet { readonly [name: string]: string }

const COMMON: HeaderSet = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
};

/** Headers for the application's own pages. */
export function pageHeaders(secure: boolean): HeaderSet {
  return {
    ...COMMON,
    'Content-Security-Policy': "default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; img-src 'self' data:; base-uri 'none'; form-action 'self'",
    'X-Frame-Options': 'DENY',
    ...(secure ? { 'Strict-Transport-Security': 'max-age=31536000' } : {}),
  };
}

/**
 * Headers for a mail's sanitised HTML body, shown in a sandboxed iframe of our own
 * page: no script at all, no forms, no plugins; images from the message (served by us)
 * and data:, and from anywhere only when the reader allowed remote content.
 */
export function mailBodyHeaders(allowRemote: boolean, origin: string): HeaderSet {
  const img = allowRemote ? `${origin} data: https: http:` : `${origin} data:`;
  return {
    ...COMMON,
    'Content-Security-Policy': `default-src 'none'; img-src ${img}; style-src 'unsafe-inline'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'`,
    'Cache-Control': 'private, no-store',
  };
}

/** Headers for a downloaded attachment: never rendered by the browser as our page. */
export function attachmentHeaders(): HeaderSet {
  return { ...COMMON, 'Content-Security-Policy': "default-src 'none'; sandbox", 'Cache-Control': 'private, no-store' };
}

/** Types a browser may show inline without running anything; everything else is octet-stream. */
const INERT_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf', 'text/plain', 'application/zip']);

export function downloadContentType(declared: string): string {
  const t = declared.toLowerCase().split(';')[0]!.trim();
  if (t === 'text/plain') return 'text/plain; charset=utf-8';
  return INERT_TYPES.has(t) ? t : 'application/octet-stream';
}

/** An inline image for a cid: reference: only raster types (SVG can carry script). */
export function isInlineImageType(declared: string): boolean {
  return /^image\/(png|jpeg|gif|webp)$/i.test(declared.split(';')[0]!.trim());
}

/** RFC 6266 Content-Disposition: attachment, with an ASCII fallback and the UTF-8 name. */
export function contentDisposition(filename: string): string {
  const clean = filename.replace(/[\r\n"\\/]/g, '_').slice(0, 200) || 'attachment';
  const ascii = clean.replace(/[^\x20-\x7e]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(clean)}`;
}
