// Modified UTF-7 for mailbox names (RFC 3501 section 5.1.3): printable ASCII as is, `&` as
// `&-`, anything else as UTF-16BE in base64 with `,` for `/`, between `&` and `-`. Pure.

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,';

function isPrintable(code: number): boolean {
  return code >= 0x20 && code <= 0x7e;
}

function encodeRun(units: number[]): string {
  const bytes: number[] = [];
  for (const u of units) bytes.push(u >> 8, u & 0xff);
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const [a, b, c] = [bytes[i]!, bytes[i + 1], bytes[i + 2]];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]!;
    if (b !== undefined) out += B64[(n >> 6) & 63]!;
    if (c !== undefined) out += B64[n & 63]!;
  }
  return `&${out}-`;
}

/**
 * Encodes a Unicode mailbox name for an IMAP4rev1 client.
 * @example encodeMutf7('Entwürfe') // 'Entw&APw-rfe'
 */
export function encodeMutf7(name: string): string {
  let out = '';
  let run: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (isPrintable(code)) {
      if (run.length) { out += encodeRun(run); run = []; }
      out += code === 0x26 ? '&-' : name[i]!;
    } else run.push(code);
  }
  if (run.length) out += encodeRun(run);
  return out;
}

/**
 * Decodes a modified UTF-7 name; null when it is not valid modified UTF-7 (8-bit or control
 * characters, bad base64, non-zero padding bits, or an encoded run of printable ASCII).
 * @example decodeMutf7('&ZeVnLIqe-') // '日本語'
 */
export function decodeMutf7(text: string): string | null {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (!isPrintable(code)) return null;
    if (code !== 0x26) { out += text[i]; continue; }
    const end = text.indexOf('-', i + 1);
    if (end < 0) return null;
    if (end === i + 1) { out += '&'; i = end; continue; }
    const decoded = decodeRun(text.slice(i + 1, end));
    if (decoded === null) return null;
    out += decoded;
    i = end;
  }
  return out;
}

function decodeRun(b64: string): string | null {
  let bits = 0;
  let acc = 0;
  const bytes: number[] = [];
  for (const ch of b64) {
    const v = B64.indexOf(ch);
    if (v < 0) return null;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((acc >> bits) & 0xff);
      acc &= (1 << bits) - 1;
    }
  }
  // Leftover bits must be zero padding and the bytes whole UTF-16 units.
  if (acc !== 0 || bits >= 6 || bytes.length % 2 !== 0 || bytes.length === 0) return null;
  let s = '';
  for (let i = 0; i < bytes.length; i += 2) {
    const unit = (bytes[i]! << 8) | bytes[i + 1]!;
    // RFC 3501 section 5.1.3: printable US-ASCII must represent itself.
    if (isPrintable(unit)) return null;
    s += String.fromCharCode(unit);
  }
  return s;
}
