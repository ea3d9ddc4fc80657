// Response lines: tagged, untagged, continuation, with typed response codes
// (RFC 3501 section 7.1, RFC 9051 section 7.1, RFC 5530, RFC 4315, RFC 7162, RFC 9208).
import { formatValues } from './format.ts';
import type { FormatOptions, ImapValue } from './format.ts';
import { DEFAULT_FORMAT } from './format.ts';

export type Status = 'OK' | 'NO' | 'BAD' | 'PREAUTH' | 'BYE';

/** Response codes in `[...]`. Atom-only codes cover RFC 5530 (NONEXISTENT, ALREADYEXISTS...). */
export type ResponseCode =
  | { readonly code: 'ALERT' | 'PARSE' | 'READ-ONLY' | 'READ-WRITE' | 'TRYCREATE' | 'NONEXISTENT' | 'ALREADYEXISTS'
      | 'OVERQUOTA' | 'AUTHENTICATIONFAILED' | 'AUTHORIZATIONFAILED' | 'UNAVAILABLE' | 'INUSE' | 'CANNOT'
      | 'LIMIT' | 'TOOBIG' | 'COMPRESSIONACTIVE' | 'PRIVACYVIOLATION' | 'EXPIRED' | 'CONTACTADMIN' | 'NOPERM' | 'SERVERBUG' | 'CLIENTBUG'
      | 'CORRUPTION' | 'EXPUNGEISSUED' | 'HASCHILDREN' | 'NOTSAVED' | 'UNKNOWN-CTE' | 'CLOSED' | 'NOMODSEQ' | 'UIDNOTSTICKY' | 'USEATTR' }
  | { readonly code: 'UIDVALIDITY' | 'UIDNEXT' | 'UNSEEN' | 'HIGHESTMODSEQ' | 'APPENDLIMIT'; readonly value: number }
  | { readonly code: 'CAPABILITY'; readonly capabilities: readonly string[] }
  | { readonly code: 'PERMANENTFLAGS'; readonly flags: readonly string[] }
  | { readonly code: 'BADCHARSET'; readonly charsets: readonly string[] }
  | { readonly code: 'APPENDUID'; readonly uidValidity: number; readonly uids: string }
  | { readonly code: 'COPYUID'; readonly uidValidity: number; readonly source: string; readonly dest: string }
  | { readonly code: 'MODIFIED'; readonly set: string };

/** Text of a response code without brackets: `COPYUID 38505 304,319:320 3956:3958`. */
export function formatCode(c: ResponseCode): string {
  switch (c.code) {
    case 'UIDVALIDITY': case 'UIDNEXT': case 'UNSEEN': case 'HIGHESTMODSEQ': case 'APPENDLIMIT':
      return `${c.code} ${c.value}`;
    case 'CAPABILITY': return `CAPABILITY ${c.capabilities.join(' ')}`;
    case 'PERMANENTFLAGS': return `PERMANENTFLAGS (${c.flags.join(' ')})`;
    case 'BADCHARSET': return c.charsets.length ? `BADCHARSET (${c.charsets.join(' ')})` : 'BADCHARSET';
    case 'APPENDUID': return `APPENDUID ${c.uidValidity} ${c.uids}`;
    case 'COPYUID': return `COPYUID ${c.uidValidity} ${c.source} ${c.dest}`;
    case 'MODIFIED': return `MODIFIED ${c.set}`;
    default: return c.code;
  }
}

/** Human text is one line: CR and LF would end the response early, so they become spaces. */
function clean(text: string): string {
  return text.replace(/[\r\n\0]+/g, ' ');
}

function statusLine(prefix: string, status: Status, text: string, code?: ResponseCode): Buffer {
  const c = code ? `[${formatCode(code)}] ` : '';
  return Buffer.from(`${prefix} ${status} ${c}${clean(text) || status}\r\n`, 'utf8');
}

/** `tag OK [code] text` (RFC 3501 section 7.1). */
export function formatTagged(tag: string, status: 'OK' | 'NO' | 'BAD', text: string, code?: ResponseCode): Buffer {
  return statusLine(tag, status, text, code);
}

/** `* OK|NO|BAD|PREAUTH|BYE [code] text`. */
export function formatUntaggedStatus(status: Status, text: string, code?: ResponseCode): Buffer {
  return statusLine('*', status, text, code);
}

/**
 * Untagged data: `* <values...>` such as `* 23 EXISTS`, `* 12 FETCH (FLAGS (\Seen))`,
 * `* LIST (\HasNoChildren) "/" "Sent"`. Strings among the values get quoted or literal.
 */
export function formatUntagged(values: readonly ImapValue[], opts: FormatOptions = DEFAULT_FORMAT): Buffer {
  return Buffer.concat([Buffer.from('* '), formatValues(values, opts), Buffer.from('\r\n')]);
}

/** `+ text` (RFC 3501 section 7.5); an AUTHENTICATE challenge passes base64 as text. */
export function formatContinuation(text = 'Ready'): Buffer {
  return Buffer.from(`+ ${clean(text)}\r\n`, 'utf8');
}
