// The TOP filter (RFC 1939 section 7): passes the header, the empty line that ends it
// and then at most N body lines. Pure and streaming. The header ends at the first
// empty line ("\r\n" or a bare "\n"); a message without one is all header and is sent
// whole, which is what the RFC's definition gives for a message without a body.

const LF = 0x0a;
const CR = 0x0d;

export class TopFilter {
  private inHeader = true;
  private bodyLinesLeft: number;
  /** Bytes seen so far on the current line, and its first byte (to spot "\r\n"). */
  private lineLength = 0;
  private lineFirst = -1;
  private finished = false;

  constructor(bodyLines: number) {
    this.bodyLinesLeft = bodyLines;
  }

  /** True once everything TOP should send has been returned: the caller stops reading. */
  get done(): boolean {
    return this.finished;
  }

  /** Returns the part of `chunk` that belongs in the TOP response. */
  push(chunk: Buffer): Buffer {
    if (this.finished) return chunk.subarray(0, 0);
    let pos = 0;
    while (pos < chunk.length) {
      if (!this.inHeader && this.bodyLinesLeft === 0) {
        this.finished = true;
        return chunk.subarray(0, pos);
      }
      const lf = chunk.indexOf(LF, pos);
      if (lf === -1) {
        if (this.lineLength === 0) this.lineFirst = chunk[pos]!;
        this.lineLength += chunk.length - pos;
        return chunk;
      }
      const length = this.lineLength + (lf - pos);
      const first = this.lineLength === 0 ? (lf > pos ? chunk[pos]! : -1) : this.lineFirst;
      const empty = length === 0 || (length === 1 && first === CR);
      if (this.inHeader) {
        if (empty) this.inHeader = false;
      } else {
        this.bodyLinesLeft--;
      }
      this.lineLength = 0;
      this.lineFirst = -1;
      pos = lf + 1;
    }
    if (!this.inHeader && this.bodyLinesLeft === 0) this.finished = true;
    return chunk;
  }
}
