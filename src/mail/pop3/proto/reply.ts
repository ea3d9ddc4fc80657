// POP3 reply formatting (RFC 1939 section 3, RFC 2449 section 8 response codes). Pure:
// builds the exact bytes of status lines and small multi-line responses; no I/O here.

/** Extended response codes (RFC 2449 section 8, RFC 3206) that Tandem sends. */
export type RespCode = 'IN-USE' | 'LOGIN-DELAY' | 'AUTH' | 'SYS/TEMP' | 'SYS/PERM';

/** One status line: "+OK text", "-ERR [CODE] text" or a SASL continuation "+ data". */
export type Reply =
  | { readonly kind: 'ok'; readonly text: string }
  | { readonly kind: 'err'; readonly code?: RespCode; readonly text: string }
  | { readonly kind: 'continue'; readonly data: string };

export const ok = (text: string): Reply => ({ kind: 'ok', text });
export const err = (text: string, code?: RespCode): Reply => (code ? { kind: 'err', code, text } : { kind: 'err', text });
export const cont = (data = ''): Reply => ({ kind: 'continue', data });

/** RFC 1939 section 3: a status line is at most 512 octets including CRLF. */
export const MAX_STATUS_LINE = 512;

/** The terminator of every multi-line response (RFC 1939 section 3). */
export const MULTILINE_END = '.\r\n';

/** Text is put on one line: CR, LF and other controls become spaces, then it is capped. */
function clean(text: string, room: number): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\x00-\x1f\x7f]/g, ' ');
  if (Buffer.byteLength(flat) <= room) return flat;
  let cut = flat.slice(0, room);
  while (Buffer.byteLength(cut) > room - 3) cut = cut.slice(0, -1);
  return `${cut}...`;
}

/** Formats one status line, CRLF included. */
export function formatReply(reply: Reply): string {
  switch (reply.kind) {
    case 'ok':
      return reply.text === '' ? '+OK\r\n' : `+OK ${clean(reply.text, MAX_STATUS_LINE - 6)}\r\n`;
    case 'err': {
      const code = reply.code ? `[${reply.code}] ` : '';
      return `-ERR ${code}${clean(reply.text, MAX_STATUS_LINE - 7 - code.length)}\r\n`;
    }
    case 'continue':
      // RFC 5034 section 4: "+ " followed by the base64 challenge (empty for PLAIN).
      return `+ ${clean(reply.data, MAX_STATUS_LINE - 4)}\r\n`;
  }
}

/**
 * Formats a whole small multi-line response (CAPA, LIST, UIDL): the +OK line, each
 * line byte-stuffed (RFC 1939 section 3), then the terminator.
 */
export function formatMultiline(first: string, lines: readonly string[]): string {
  const body = lines.map((l) => (l.startsWith('.') ? `.${l}\r\n` : `${l}\r\n`)).join('');
  return `${formatReply(ok(first))}${body}${MULTILINE_END}`;
}
