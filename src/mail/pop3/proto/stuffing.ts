// Byte-stuffing of multi-line responses (RFC 1939 section 3): a line that starts with
// "." gets one more "." in front, and the response ends with CRLF "." CRLF. Pure and
// streaming: works chunk by chunk with constant extra memory, so RETR never needs the
// whole message in memory.

const DOT = 0x2e;
const LF = 0x0a;
const DOT_BUF = Buffer.from('.');

export class DotStuffer {
  /** True when the next byte starts a line (the message start counts as one). */
  private atLineStart = true;
  private sawAny = false;

  /** Returns the stuffed form of `chunk` (the same buffer when nothing needs stuffing). */
  push(chunk: Buffer): Buffer {
    if (chunk.length === 0) return chunk;
    this.sawAny = true;
    const parts: Buffer[] = [];
    let from = 0;
    if (this.atLineStart && chunk[0] === DOT) parts.push(DOT_BUF);
    let i = chunk.indexOf('\n.', 0, 'latin1');
    while (i !== -1) {
      parts.push(chunk.subarray(from, i + 1), DOT_BUF);
      from = i + 1;
      i = chunk.indexOf('\n.', from, 'latin1');
    }
    this.atLineStart = chunk[chunk.length - 1] === LF;
    if (parts.length === 0) return chunk;
    parts.push(chunk.subarray(from));
    return Buffer.concat(parts);
  }

  /**
   * The terminator. A message that does not end with a line end gets CRLF first, so
   * the final "." stands on its own line as RFC 1939 requires.
   */
  end(): Buffer {
    return Buffer.from(this.sawAny && !this.atLineStart ? '\r\n.\r\n' : '.\r\n');
  }
}
