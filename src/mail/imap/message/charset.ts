// Charset decoding to UTF-8 and RFC 2047 encoded words, for SEARCH, SORT and THREAD (which
// compare decoded text; ENVELOPE and BODYSTRUCTURE never decode). Pure.
// Decoders: the WHATWG set built into Node (ISO-8859-*, windows-*, ISO-2022-JP, Shift_JIS,
// EUC-*, GBK, GB18030, Big5, KOI8-*), then iconv-lite for the rest; unknown charsets are
// read as UTF-8 with replacement characters, so a search still sees the ASCII in them.
import { TextDecoder } from 'node:util';
import iconv from 'iconv-lite';

const decoders = new Map<string, TextDecoder | null>();

function builtin(charset: string): TextDecoder | null {
  let d = decoders.get(charset);
  if (d === undefined) {
    try {
      d = new TextDecoder(charset, { fatal: false });
    } catch {
      d = null;
    }
    if (decoders.size < 200) decoders.set(charset, d);
  }
  return d;
}

/** Whether `charset` can be decoded (else bytes are read as UTF-8). */
export function knownCharset(charset: string): boolean {
  const cs = charset.trim().toLowerCase();
  return cs === '' || builtin(cs) !== null || iconv.encodingExists(cs);
}

/** Bytes in `charset` as a JS string; unknown charsets are read as UTF-8. */
export function decodeBytes(data: Buffer, charset: string | null): string {
  const cs = (charset ?? 'utf-8').trim().toLowerCase().replace(/^"|"$/g, '');
  if (cs === '' || cs === 'us-ascii' || cs === 'ascii' || cs === 'utf-8' || cs === 'utf8') return data.toString('utf8');
  const d = builtin(cs);
  if (d) return d.decode(data);
  if (iconv.encodingExists(cs)) return iconv.decode(data, cs);
  return data.toString('utf8');
}

/**
 * A streaming decoder for one charset: feed byte chunks, get text (multi-byte characters
 * split across chunks are held back). Used when searching bodies chunk by chunk.
 */
export function charsetStream(charset: string | null): { write(b: Buffer): string; end(): string } {
  const cs = (charset ?? 'utf-8').trim().toLowerCase();
  const d = builtin(cs === '' || cs === 'us-ascii' || cs === 'ascii' ? 'utf-8' : cs);
  if (d) {
    // A TextDecoder of its own: the cached ones are shared and must stay stateless.
    const own = new TextDecoder(d.encoding, { fatal: false });
    return { write: (b) => own.decode(b, { stream: true }), end: () => own.decode() };
  }
  if (iconv.encodingExists(cs)) {
    const s = iconv.getDecoder(cs);
    return { write: (b) => s.write(b), end: () => s.end() ?? '' };
  }
  const own = new TextDecoder('utf-8', { fatal: false });
  return { write: (b) => own.decode(b, { stream: true }), end: () => own.decode() };
}

const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

/** The bytes of one encoded word's text. */
function wordBytes(encoding: string, text: string): Buffer {
  if (encoding === 'B' || encoding === 'b') return Buffer.from(text, 'base64');
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '_') bytes.push(0x20);
    else if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c.charCodeAt(0) & 0xff);
  }
  return Buffer.from(bytes);
}

/**
 * Decodes RFC 2047 encoded words in a header value. Whitespace between adjacent encoded
 * words is dropped (RFC 2047 section 6.2); consecutive words in one charset are joined as
 * bytes first, so a multi-byte character split across two words survives.
 * @example decodeWords('=?ISO-8859-1?Q?Caf=E9?= ok') // 'Café ok'
 */
export function decodeWords(value: string): string {
  if (!value.includes('=?')) return value;
  let out = '';
  let last = 0;
  let pending: { charset: string; bytes: Buffer[] } | null = null;
  const flush = (): void => {
    if (pending) out += decodeBytes(Buffer.concat(pending.bytes), pending.charset);
    pending = null;
  };
  for (const m of value.matchAll(ENCODED_WORD)) {
    const between = value.slice(last, m.index);
    const charset = m[1]!.split('*')[0]!.toLowerCase(); // RFC 2231 language suffix
    const bytes = wordBytes(m[2]!, m[3]!);
    if (pending !== null && /^[ \t\r\n]*$/.test(between)) {
      const p: { charset: string; bytes: Buffer[] } = pending;
      if (p.charset === charset) p.bytes.push(bytes);
      else {
        flush();
        pending = { charset, bytes: [bytes] };
      }
    } else {
      flush();
      out += between;
      pending = { charset, bytes: [bytes] };
    }
    last = m.index + m[0].length;
  }
  flush();
  return out + value.slice(last);
}
