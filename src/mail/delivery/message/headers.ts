// Reading and editing the header block of a raw message (RFC 5322 section 2.2) without
// touching the body. Bytes are handled as latin1 so 8-bit headers round-trip exactly;
// new fields are written as UTF-8 (RFC 6532). Pure.

/** Offset just past the blank line that ends the header block (data.length if none). */
export function headerEnd(data: Buffer): number {
  // A message that starts with an empty line has no header fields at all.
  if (data[0] === 0x0a) return 1;
  if (data[0] === 0x0d && data[1] === 0x0a) return 2;
  const crlf = data.indexOf('\r\n\r\n');
  const lf = data.indexOf('\n\n');
  const ends = [crlf >= 0 ? crlf + 4 : -1, lf >= 0 ? lf + 2 : -1].filter((n) => n >= 0);
  return ends.length > 0 ? Math.min(...ends) : data.length;
}

export interface HeaderField {
  /** Field name as written. */
  readonly name: string;
  /** Unfolded value, trimmed. */
  readonly value: string;
  /** The field's raw text including folded continuation lines and line ends. */
  readonly raw: string;
}

interface Segment { readonly raw: string; readonly field: HeaderField | null }

const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+[ \t]*$/;

/**
 * Header bytes looked at. Real header blocks are a few KiB; a pathological message
 * (megabytes without a blank line) must not stall the process for every client, so
 * fields past this point are neither seen nor changed (they are kept verbatim).
 */
export const MAX_HEADER_SCAN = 1024 * 1024;

/**
 * Splits the header block into segments (fields, or stray lines kept verbatim), the
 * separator line, and the offset where the untouched rest of the message starts.
 */
function segments(data: Buffer): { segs: Segment[]; separator: string; end: number } {
  let end = headerEnd(data);
  if (end > MAX_HEADER_SCAN) {
    const cut = data.lastIndexOf(0x0a, MAX_HEADER_SCAN - 1);
    end = cut >= 0 ? cut + 1 : 0;
  }
  const text = data.subarray(0, end).toString('latin1');
  const lines = text.split(/(?<=\n)/);
  let separator = '';
  if (lines.length > 0 && (lines[lines.length - 1] === '\r\n' || lines[lines.length - 1] === '\n')) separator = lines.pop()!;
  const segs: Segment[] = [];
  let current: string[] = [];
  const flush = () => {
    if (current.length === 0) return;
    const raw = current.join('');
    const colon = raw.indexOf(':');
    const name = colon > 0 ? raw.slice(0, colon) : '';
    const field = FIELD_NAME.test(name)
      ? { name: name.trim(), value: raw.slice(colon + 1).replace(/\r?\n(?=[ \t])/g, '').trim(), raw }
      : null;
    segs.push({ raw, field });
    current = [];
  };
  for (const line of lines) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && current.length > 0) current.push(line);
    else {
      flush();
      current.push(line);
    }
  }
  flush();
  return { segs, separator, end };
}

/** The header fields of a message, in order. Lines that are not fields are skipped. */
export function parseHeaderFields(data: Buffer): HeaderField[] {
  return segments(data).segs.flatMap((s) => (s.field ? [s.field] : []));
}

/** The values of every field called `name` (case-insensitive). */
export function headerValues(data: Buffer, name: string): string[] {
  const n = name.toLowerCase();
  return parseHeaderFields(data).filter((f) => f.name.toLowerCase() === n).map((f) => f.value);
}

export function hasHeader(data: Buffer, name: string): boolean {
  return headerValues(data, name).length > 0;
}

/** Encodes new header lines ("Name: value", no line end) as a CRLF block. */
function block(lines: readonly string[]): Buffer {
  return Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'utf8');
}

/** Puts fields in front of the message (trace fields go on top, RFC 5321 4.4). */
export function prependHeaders(data: Buffer, lines: readonly string[]): Buffer {
  return lines.length === 0 ? data : Buffer.concat([block(lines), data]);
}

/**
 * Removes every field named in `remove` and inserts `add` at the end of the header
 * block (after the trace fields, where list and origination fields belong). Lines
 * that are not fields stay as they were.
 */
export function editHeaders(data: Buffer, edit: { remove?: readonly string[]; add?: readonly string[] }): Buffer {
  const { segs, separator, end } = segments(data);
  const remove = new Set((edit.remove ?? []).map((n) => n.toLowerCase()));
  let kept = segs.filter((s) => !s.field || !remove.has(s.field.name.toLowerCase())).map((s) => s.raw).join('');
  if (kept.length > 0 && !kept.endsWith('\n')) kept += '\r\n';
  return Buffer.concat([Buffer.from(kept, 'latin1'), block(edit.add ?? []), Buffer.from(separator, 'latin1'), data.subarray(end)]);
}
