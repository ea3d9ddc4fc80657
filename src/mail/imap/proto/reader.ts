// Streaming IMAP command reader: bytes in, framed commands and literal events out
// (RFC 3501 section 7.5 / RFC 9051 section 4.3, RFC 7888 LITERAL+/-, RFC 3516 `~{n}`).
// Pure and bounded: it never throws on client input and never buffers past its limits.
import { tokenize, LITERAL_MARKER } from './tokens.ts';
import type { Part, Token } from './tokens.ts';

export interface ReaderLimits {
  /** Longest line (without CRLF) of a command segment. */
  readonly maxLineLength: number;
  /** Largest literal accepted at all. */
  readonly maxLiteralSize: number;
  /** Literals up to this size are kept inline; bigger ones are streamed as chunk events. */
  readonly inlineLiteralMax: number;
  /** Bytes of lines plus inline literals held for one command. */
  readonly maxCommandBytes: number;
  readonly maxDepth: number;
  readonly maxTokens: number;
}

export const DEFAULT_READER_LIMITS: ReaderLimits = {
  maxLineLength: 8192, maxLiteralSize: 64 * 1024 * 1024, inlineLiteralMax: 64 * 1024,
  maxCommandBytes: 1024 * 1024, maxDepth: 16, maxTokens: 10_000,
};

/**
 * What the session must act on, in order. `continue`: send `+ ...` now (synchronizing literal),
 * unless it calls `rejectLiteral()` and answers the tag instead. Streamed literals arrive as
 * `literal-start`, `literal-chunk`*, `literal-end` before the `command` that holds them.
 */
export type ReaderEvent =
  | { readonly kind: 'command'; readonly tag: string; readonly tokens: Token[] }
  | { readonly kind: 'continue'; readonly tag: string | null; readonly verb: string | null; readonly size: number }
  | { readonly kind: 'literal-start'; readonly tag: string | null; readonly verb: string | null; readonly stream: number; readonly size: number; readonly binary: boolean }
  | { readonly kind: 'literal-chunk'; readonly stream: number; readonly data: Buffer }
  | { readonly kind: 'literal-end'; readonly stream: number }
  | { readonly kind: 'line'; readonly line: string }
  | { readonly kind: 'error'; readonly tag: string | null; readonly reason: string };

const TAG = /^[\x21-\x7e]+$/;

export class CommandReader {
  private line: Buffer[] = [];
  private lineLen = 0;
  private parts: Part[] = [];
  private held = 0;
  private skipLine = false;
  /** Last octets of a line being dropped, to spot a trailing literal marker. */
  private skipTail = '';
  private discarding = false;
  private literal: { remaining: number; size: number; binary: boolean; inline: Buffer[] | null; stream: number } | null = null;
  private streams = 0;
  private rawLines = false;

  constructor(private readonly limits: ReaderLimits = DEFAULT_READER_LIMITS) {}

  /** Raw-line mode for IDLE's DONE and AUTHENTICATE responses: each line becomes a `line` event. */
  setRawLineMode(on: boolean): void {
    this.rawLines = on;
  }

  /** The session refused the pending synchronizing literal (it replied instead of `+`). */
  rejectLiteral(): void {
    if (this.literal) this.resetCommand();
  }

  /** Forgets everything buffered (after STARTTLS, RFC 3501 section 6.2.1). */
  reset(): void {
    this.resetCommand();
    this.line = [];
    this.lineLen = 0;
    this.skipLine = false;
    this.skipTail = '';
  }

  push(chunk: Buffer): ReaderEvent[] {
    const out: ReaderEvent[] = [];
    let off = 0;
    while (off < chunk.length) {
      if (this.literal) off = this.takeLiteral(chunk, off, out);
      else off = this.takeLine(chunk, off, out);
    }
    return out;
  }

  private takeLiteral(chunk: Buffer, off: number, out: ReaderEvent[]): number {
    const lit = this.literal!;
    const n = Math.min(lit.remaining, chunk.length - off);
    const data = chunk.subarray(off, off + n);
    lit.remaining -= n;
    if (!this.discarding) {
      if (lit.inline) lit.inline.push(Buffer.from(data));
      else out.push({ kind: 'literal-chunk', stream: lit.stream, data: Buffer.from(data) });
    }
    if (lit.remaining === 0) this.endLiteral(out);
    return off + n;
  }

  private endLiteral(out: ReaderEvent[]): void {
    const lit = this.literal!;
    this.literal = null;
    if (this.discarding) return;
    if (lit.inline) {
      this.parts.push({ kind: 'literal', data: Buffer.concat(lit.inline), size: lit.size, binary: lit.binary, stream: null });
    } else {
      out.push({ kind: 'literal-end', stream: lit.stream });
      this.parts.push({ kind: 'literal', data: null, size: lit.size, binary: lit.binary, stream: lit.stream });
    }
  }

  private takeLine(chunk: Buffer, off: number, out: ReaderEvent[]): number {
    const lf = chunk.indexOf(10, off);
    const end = lf < 0 ? chunk.length : lf;
    if (this.skipLine) this.skipTail = (this.skipTail + chunk.toString('latin1', Math.max(off, end - 32), end)).slice(-32);
    else {
      this.line.push(chunk.subarray(off, end));
      this.lineLen += end - off;
      // +1 leaves room for the CR that may precede the LF in the next chunk.
      if (this.lineLen > this.limits.maxLineLength + 1) {
        out.push({ kind: 'error', tag: this.tagOf(), reason: `line too long (limit ${this.limits.maxLineLength})` });
        this.line = [];
        this.lineLen = 0;
        this.skipLine = true;
        this.skipTail = chunk.toString('latin1', Math.max(off, end - 32), end);
        this.resetCommand();
      }
    }
    if (lf < 0) return chunk.length;
    if (this.skipLine) this.endSkippedLine(out);
    else this.endLine(out);
    return lf + 1;
  }

  /**
   * The end of a dropped over-long line. If it announced a non-synchronizing literal, those
   * octets are on their way and must be skipped too, or they would be read as commands.
   */
  private endSkippedLine(out: ReaderEvent[]): void {
    this.skipLine = false;
    const m = LITERAL_MARKER.exec(this.skipTail.replace(/\r$/, ''));
    this.skipTail = '';
    if (m && m[3] === '+') {
      this.discarding = true;
      this.startLiteral(Number(m[2]), m[1] === '~', true, '', out);
    }
  }

  private endLine(out: ReaderEvent[]): void {
    let buf = Buffer.concat(this.line);
    this.line = [];
    this.lineLen = 0;
    if (buf.length > 0 && buf[buf.length - 1] === 13) buf = buf.subarray(0, buf.length - 1);
    if (buf.length > this.limits.maxLineLength) {
      out.push({ kind: 'error', tag: this.tagOf(buf.toString('utf8')), reason: `line too long (limit ${this.limits.maxLineLength})` });
      this.resetCommand();
      this.skipTail = buf.toString('latin1', Math.max(0, buf.length - 32));
      return this.endSkippedLine(out);
    }
    const text = buf.toString('utf8');
    if (this.rawLines && this.parts.length === 0 && !this.discarding) {
      out.push({ kind: 'line', line: text });
      return;
    }
    this.held += buf.length;
    if (!this.discarding) this.parts.push({ kind: 'line', text });
    const m = LITERAL_MARKER.exec(text);
    if (m) return this.startLiteral(Number(m[2]), m[1] === '~', m[3] === '+', text, out);
    if (!this.discarding) this.finishCommand(out);
    this.resetCommand();
  }

  private startLiteral(size: number, binary: boolean, nonSync: boolean, text: string, out: ReaderEvent[]): void {
    // The command was already answered BAD: a client waiting for "+" sends nothing more.
    if (this.discarding && !nonSync) return this.resetCommand();
    const tag = this.tagOf(text);
    const verb = this.verbOf();
    const inline = size <= this.limits.inlineLiteralMax;
    const overLiteral = size > this.limits.maxLiteralSize;
    if (!this.discarding && (overLiteral || (inline && this.held + size > this.limits.maxCommandBytes))) {
      const reason = overLiteral
        ? `literal too big (${size} octets, limit ${this.limits.maxLiteralSize})`
        : `command too big (limit ${this.limits.maxCommandBytes} octets)`;
      out.push({ kind: 'error', tag, reason });
      // A synchronizing literal is never sent once refused; a non-synchronizing one is
      // already on its way and is skipped with the rest of its command (RFC 7888 section 4).
      if (!nonSync) return this.resetCommand();
      this.discarding = true;
    }
    if (!this.discarding && !nonSync) out.push({ kind: 'continue', tag, verb, size });
    if (inline) this.held += size;
    const stream = this.streams;
    if (!inline && !this.discarding) {
      this.streams++;
      out.push({ kind: 'literal-start', tag, verb, stream, size, binary });
    }
    this.literal = { remaining: size, size, binary, inline: inline ? [] : null, stream };
    if (size === 0) this.endLiteral(out);
  }

  private finishCommand(out: ReaderEvent[]): void {
    const tag = this.tagOf();
    const first = this.parts[0];
    if (first && first.kind === 'line' && first.text.trim() === '' && this.parts.length === 1) return; // blank line
    const r = tokenize(this.parts, this.limits);
    if (!r.ok) return void out.push({ kind: 'error', tag, reason: r.reason });
    const head = r.tokens[0];
    if (!head || head.type !== 'atom' || !TAG.test(head.value) || head.value === '+' || head.value === '*') {
      return void out.push({ kind: 'error', tag: null, reason: 'missing or invalid tag' });
    }
    out.push({ kind: 'command', tag: head.value, tokens: r.tokens.slice(1) });
  }

  private resetCommand(): void {
    this.parts = [];
    this.held = 0;
    this.literal = null;
    this.discarding = false;
  }

  private tagOf(pending?: string): string | null {
    const first = this.parts[0];
    const text = first && first.kind === 'line' ? first.text : pending ?? Buffer.concat(this.line).toString('utf8');
    const word = text.split(' ', 1)[0] ?? '';
    return word && TAG.test(word) && word !== '+' && word !== '*' && !word.includes('"') && !word.includes('(') ? word : null;
  }

  private verbOf(): string | null {
    const first = this.parts[0];
    if (!first || first.kind !== 'line') return null;
    const words = first.text.split(' ');
    const verb = (words[1] ?? '').toUpperCase();
    return verb === 'UID' && words[2] ? `UID ${words[2].toUpperCase()}` : verb || null;
  }
}
