// Serialises response data values: atoms, numbers, NIL, lists, and strings as quoted or
// literal (RFC 3501 section 4.3, RFC 9051 section 4.3). Pure; output is bytes.

/** An atom sent as is: flags, keywords, `BODY[...]` labels. Never client text. */
export interface ImapAtom { readonly atom: string }
/** A literal8 (RFC 3516): bytes that may hold NUL, for BINARY[]. */
export interface ImapLiteral8 { readonly literal8: Buffer }

/** A response value. `string`/`Buffer` become a quoted string or a literal; `null` is NIL. */
export type ImapValue = null | number | bigint | string | Buffer | ImapAtom | ImapLiteral8 | readonly ImapValue[];

export const atom = (value: string): ImapAtom => ({ atom: value });

export interface FormatOptions {
  /** UTF-8 may travel in quoted strings (IMAP4rev2 or UTF8=ACCEPT enabled, RFC 6855). */
  readonly utf8: boolean;
  /** Longest string sent quoted; longer ones go as literals. */
  readonly maxQuoted: number;
}

export const DEFAULT_FORMAT: FormatOptions = { utf8: false, maxQuoted: 1024 };

/** Whether `bytes` can travel as a quoted string (no CR, LF, NUL; 8-bit only when utf8). */
export function canQuote(bytes: Buffer, opts: FormatOptions = DEFAULT_FORMAT): boolean {
  if (bytes.length > opts.maxQuoted) return false;
  for (const b of bytes) {
    if (b === 0 || b === 10 || b === 13) return false;
    if (b >= 0x80 && !opts.utf8) return false;
  }
  return true;
}

/**
 * A string as wire bytes: `"..."` with `\` and `"` escaped, or `{n}\r\n` + bytes.
 * @example formatString('a"b').toString() // '"a\\"b"'
 */
export function formatString(value: string | Buffer, opts: FormatOptions = DEFAULT_FORMAT): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (canQuote(bytes, opts)) {
    return Buffer.from(`"${bytes.toString(opts.utf8 ? 'utf8' : 'latin1').replace(/[\\"]/g, '\\$&')}"`, opts.utf8 ? 'utf8' : 'latin1');
  }
  return Buffer.concat([Buffer.from(`{${bytes.length}}\r\n`), bytes]);
}

/** Serialises one value (lists recursively, items separated by one space). */
export function formatValue(value: ImapValue, opts: FormatOptions = DEFAULT_FORMAT): Buffer {
  const out: Buffer[] = [];
  write(value, opts, out);
  return Buffer.concat(out);
}

function write(value: ImapValue, opts: FormatOptions, out: Buffer[]): void {
  if (value === null) out.push(Buffer.from('NIL'));
  else if (typeof value === 'number' || typeof value === 'bigint') out.push(Buffer.from(String(value)));
  else if (typeof value === 'string' || Buffer.isBuffer(value)) out.push(formatString(value, opts));
  else if (Array.isArray(value)) {
    out.push(Buffer.from('('));
    value.forEach((v: ImapValue, i: number) => {
      if (i > 0) out.push(Buffer.from(' '));
      write(v, opts, out);
    });
    out.push(Buffer.from(')'));
  } else if ('atom' in value) out.push(Buffer.from(value.atom, 'utf8'));
  else if ('literal8' in value) out.push(Buffer.from(`~{${value.literal8.length}}\r\n`), value.literal8);
}

/** Values separated by spaces, without surrounding parentheses (the body of a FETCH response). */
export function formatValues(values: readonly ImapValue[], opts: FormatOptions = DEFAULT_FORMAT): Buffer {
  const parts: Buffer[] = [];
  values.forEach((v, i) => {
    if (i > 0) parts.push(Buffer.from(' '));
    parts.push(formatValue(v, opts));
  });
  return Buffer.concat(parts);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** INTERNALDATE as `date-time` (RFC 3501 section 9), in UTC: `"17-Jul-1996 09:44:25 +0000"`. */
export function formatDateTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
