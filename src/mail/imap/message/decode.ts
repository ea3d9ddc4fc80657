// Streaming Content-Transfer-Encoding decoders (RFC 2045 section 6): feed chunks, get
// decoded chunks; memory is one chunk plus a few held-back bytes. Pure.

export interface StreamDecoder {
  write(chunk: Buffer): Buffer;
  end(): Buffer;
}

const B64 = new Int8Array(256).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split('').forEach((c, i) => { B64[c.charCodeAt(0)] = i; });
// The URL-safe alphabet shows up in broken mailers; decode it too.
B64['-'.charCodeAt(0)] = 62;
B64['_'.charCodeAt(0)] = 63;

/** Base64: characters outside the alphabet (line ends, '=' padding, junk) are skipped. */
export function base64Decoder(): StreamDecoder {
  let acc = 0;
  let bits = 0;
  return {
    write(chunk) {
      const out = Buffer.allocUnsafe(Math.ceil((chunk.length * 3) / 4) + 3);
      let n = 0;
      for (let i = 0; i < chunk.length; i++) {
        const v = B64[chunk[i]!]!;
        if (v < 0) continue;
        acc = ((acc << 6) | v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
          bits -= 8;
          out[n++] = (acc >> bits) & 0xff;
        }
      }
      return out.subarray(0, n);
    },
    end() {
      return Buffer.alloc(0); // leftover bits (< 8) are padding
    },
  };
}

const HEX = (b: number): number => (b >= 0x30 && b <= 0x39 ? b - 0x30 : b >= 0x41 && b <= 0x46 ? b - 0x37 : b >= 0x61 && b <= 0x66 ? b - 0x57 : -1);

/**
 * Quoted-printable: `=XX` decoded, `=` at a line end joins lines (soft break), trailing
 * whitespace of a line dropped, line ends kept as they are. A malformed `=` stays literal.
 */
export function quotedPrintableDecoder(): StreamDecoder {
  let carry: Buffer = Buffer.alloc(0);
  const MAX_LINE = 64 * 1024;

  function decodeLine(line: Buffer, hasEol: boolean): Buffer {
    // Split off the line end, drop trailing whitespace (RFC 2045 6.7 rule 3).
    let end = line.length;
    let eol: Buffer = Buffer.alloc(0);
    if (hasEol) {
      const crlf = end >= 2 && line[end - 2] === 0x0d;
      eol = line.subarray(crlf ? end - 2 : end - 1);
      end -= eol.length;
      while (end > 0 && (line[end - 1] === 0x20 || line[end - 1] === 0x09)) end--;
    }
    const out = Buffer.allocUnsafe(end + eol.length);
    let n = 0;
    for (let i = 0; i < end; i++) {
      const b = line[i]!;
      if (b !== 0x3d) { out[n++] = b; continue; }
      if (i === end - 1 && hasEol) return out.subarray(0, n); // soft line break: no line end
      const h = i + 2 < end ? HEX(line[i + 1]!) : -1;
      const l = i + 2 < end ? HEX(line[i + 2]!) : -1;
      if (h >= 0 && l >= 0) {
        out[n++] = (h << 4) | l;
        i += 2;
      } else out[n++] = b;
    }
    eol.copy(out, n);
    return out.subarray(0, n + eol.length);
  }

  return {
    write(chunk) {
      const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      const parts: Buffer[] = [];
      let start = 0;
      for (;;) {
        const nl = data.indexOf(0x0a, start);
        if (nl === -1) break;
        parts.push(decodeLine(data.subarray(start, nl + 1), true));
        start = nl + 1;
      }
      let rest = data.subarray(start);
      if (rest.length > MAX_LINE) {
        // A line without end: decode all but a possible partial `=XX` or trailing whitespace run.
        let cut = rest.length;
        const eq = rest.lastIndexOf(0x3d);
        if (eq >= rest.length - 2) cut = eq;
        while (cut > 0 && (rest[cut - 1] === 0x20 || rest[cut - 1] === 0x09)) cut--;
        if (cut === 0) cut = rest.length; // only whitespace: nothing to hold back for
        parts.push(decodeLine(rest.subarray(0, cut), false));
        rest = rest.subarray(cut);
      }
      carry = Buffer.from(rest);
      return Buffer.concat(parts);
    },
    end() {
      const out = carry.length ? decodeLine(carry, false) : Buffer.alloc(0);
      carry = Buffer.alloc(0);
      return out;
    },
  };
}

/** The decoder for an encoding; identity for 7bit/8bit/binary; null when unknown. */
export function decoderFor(encoding: string): StreamDecoder | null {
  switch (encoding.toLowerCase()) {
    case '7bit': case '8bit': case 'binary': case '':
      return { write: (c) => c, end: () => Buffer.alloc(0) };
    case 'base64': return base64Decoder();
    case 'quoted-printable': return quotedPrintableDecoder();
    default: return null;
  }
}
