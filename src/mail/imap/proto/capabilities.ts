// The CAPABILITY list for a session state (RFC 3501 6.1.1, RFC 9051 6.1.1, RFC 2595 3.1).
// Pure data: which extensions the server announces is decided here, once.

/**
 * Extensions announced once authenticated (issue 3). Optional ones are passed in `extra`.
 * No QUOTA=RES-MESSAGE: quotas are in octets only, there is no message-count limit to report.
 */
export const AUTHENTICATED_CAPABILITIES = [
  'IMAP4rev1', 'IMAP4rev2', 'LITERAL+', 'ENABLE', 'ID', 'IDLE', 'NAMESPACE', 'UNSELECT', 'UIDPLUS', 'MOVE',
  'CHILDREN', 'LIST-EXTENDED', 'LIST-STATUS', 'SPECIAL-USE', 'CREATE-SPECIAL-USE', 'ESEARCH', 'SEARCHRES',
  'CONDSTORE', 'QRESYNC', 'QUOTA', 'QUOTA=RES-STORAGE', 'MULTIAPPEND', 'BINARY',
  'UTF8=ACCEPT', 'STATUS=SIZE', 'SASL-IR',
] as const;

export interface CapabilityContext {
  /** The connection is encrypted (implicit TLS or after STARTTLS). */
  readonly tls: boolean;
  /** STARTTLS can be offered (a certificate is configured and the connection is plain). */
  readonly startTlsAvailable: boolean;
  readonly authenticated: boolean;
  /** SASL mechanisms, e.g. ['PLAIN']. */
  readonly mechanisms: readonly string[];
  /** Optional extensions switched on by settings, e.g. 'SORT', 'THREAD=REFERENCES'. */
  readonly extra?: readonly string[];
}

/**
 * Capabilities to announce. Before authentication only what a client needs to log in:
 * LOGINDISABLED and no AUTH= on a plain connection (RFC 9051 section 6.2.3, RFC 2595 3.1).
 * @example imapCapabilities({ tls: true, startTlsAvailable: false, authenticated: false, mechanisms: ['PLAIN'] })
 */
export function imapCapabilities(ctx: CapabilityContext): string[] {
  const base = ['IMAP4rev1', 'IMAP4rev2', 'LITERAL+', 'ID', 'ENABLE', 'SASL-IR'];
  if (ctx.authenticated) return [...AUTHENTICATED_CAPABILITIES, ...(ctx.extra ?? [])];
  const out = [...base];
  if (!ctx.tls && ctx.startTlsAvailable) out.push('STARTTLS');
  if (ctx.tls) out.push(...ctx.mechanisms.map((m) => `AUTH=${m.toUpperCase()}`));
  else out.push('LOGINDISABLED');
  return out;
}
