// Bounded command-line framing for POP3 (RFC 1939 section 3: lines end in CRLF). Pure:
// bytes in, lines out. A line longer than the limit is reported once and its bytes are
// dropped up to the next LF, so a client can never make the server buffer more than
// `maxLineBytes`.

export type LineEvent =
  | { readonly kind: 'line'; readonly line: string }
  | { readonly kind: 'overlong'; readonly limit: number };

export class LineReader {
  private parts: Buffer[] = [];
  private buffered = 0;
  /** True while dropping the tail of an overlong line. */
  private skipping = false;

  /** @param maxLineBytes longest accepted line, CRLF included. */
  constructor(private readonly maxLineBytes: number) {}

  /** Bytes held waiting for the end of a line; never more than maxLineBytes. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Forgets buffered input: after STLS nothing sent in the clear may be used (RFC 2595 section 4). */
  reset(): void {
    this.parts = [];
    this.buffered = 0;
    this.skipping = false;
  }

  /** Feeds bytes; returns the complete lines (without CRLF or bare LF) and overlong events. */
  push(chunk: Buffer): LineEvent[] {
    const events: LineEvent[] = [];
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(0x0a, start);
      const end = lf === -1 ? chunk.length : lf + 1;
      const piece = chunk.subarray(start, end);
      start = end;
      if (this.skipping) {
        if (lf !== -1) this.skipping = false;
        continue;
      }
      if (this.buffered + piece.length > this.maxLineBytes) {
        this.parts = [];
        this.buffered = 0;
        this.skipping = lf === -1;
        events.push({ kind: 'overlong', limit: this.maxLineBytes });
        continue;
      }
      if (lf === -1) {
        // Copy: the caller may reuse its chunk buffer.
        this.parts.push(Buffer.from(piece));
        this.buffered += piece.length;
        continue;
      }
      const whole = this.parts.length === 0 ? piece : Buffer.concat([...this.parts, piece]);
      this.parts = [];
      this.buffered = 0;
      const cut = whole.length >= 2 && whole[whole.length - 2] === 0x0d ? 2 : 1;
      events.push({ kind: 'line', line: whole.subarray(0, whole.length - cut).toString('utf8') });
    }
    return events;
  }
}
