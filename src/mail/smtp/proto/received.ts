// Trace and origination fields the SMTP service writes: the Received field (RFC 5321
// 4.4) on every message, and Date / Message-ID for submitted messages that lack them
// (RFC 6409 8.2, 8.3). Pure: time and ids are arguments.

/** RFC 5322 date-time in UTC: "Tue, 24 Nov 2026 18:43:47 +0000". */
export function rfc5322Date(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

/** Client-supplied names end up in a header: keep printable ASCII without parentheses. */
function clean(text: string): string {
  return text.replace(/[^\x21-\x7e]/g, '').replace(/[()\\]/g, '').slice(0, 255) || 'unknown';
}

export interface ReceivedInput {
  readonly helo: string | false;
  readonly clientHostname: string | false;
  readonly remoteAddress: string;
  readonly hostname: string;
  /** ESMTP, ESMTPS, ESMTPSA ... (RFC 3848). */
  readonly protocol: string;
  readonly id: string;
  readonly tls?: { protocol?: string | null; cipher?: string | null } | null;
  /** Named only for single-recipient messages, so recipients do not see each other. */
  readonly recipient?: string;
  readonly date: Date;
}

export function receivedHeader(r: ReceivedInput): string {
  const host = r.clientHostname && !r.clientHostname.startsWith('[') ? `${clean(r.clientHostname)} ` : '';
  const lines = [
    `Received: from ${clean(r.helo || r.remoteAddress)} (${host}[${clean(r.remoteAddress)}])`,
    `\tby ${r.hostname} (Tandem) with ${clean(r.protocol)} id ${clean(r.id)}`,
  ];
  if (r.tls?.cipher) lines.push(`\t(using ${clean(r.tls.protocol ?? 'TLS')} with cipher ${clean(r.tls.cipher)})`);
  if (r.recipient) lines.push(`\tfor <${r.recipient.replace(/[\r\n<>]/g, '')}>;`);
  else lines[lines.length - 1] += ';';
  lines.push(`\t${rfc5322Date(r.date)}`);
  return lines.join('\r\n');
}

/** Date and Message-ID lines to add to a submitted message that lacks them. */
export function missingOriginationFields(has: { date: boolean; messageId: boolean }, hostname: string, token: string, now: Date): string[] {
  const out: string[] = [];
  if (!has.date) out.push(`Date: ${rfc5322Date(now)}`);
  if (!has.messageId) out.push(`Message-ID: <${token}@${hostname}>`);
  return out;
}
