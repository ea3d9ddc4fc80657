// Cursor over a command's tokens with typed readers (astring, number, list...). Pure.
// Readers throw ArgError, which parseCommand turns into a BAD value; nothing escapes.
import type { Token } from './tokens.ts';
import { parseSequenceSet } from './sequence-set.ts';
import type { SequenceSet } from './sequence-set.ts';

export class ArgError extends Error {}

/** `data` of a literal that was streamed rather than kept inline. */
export interface StreamedLiteral { readonly stream: number; readonly size: number; readonly binary: boolean }

export class Args {
  private pos = 0;
  constructor(private readonly tokens: readonly Token[], private readonly what = 'command') {}

  get atEnd(): boolean {
    return this.pos >= this.tokens.length;
  }

  peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  next(what: string): Token {
    const t = this.tokens[this.pos++];
    if (!t) throw new ArgError(`${this.what}: missing ${what}`);
    return t;
  }

  end(): void {
    if (!this.atEnd) throw new ArgError(`${this.what}: unexpected arguments after the last one`);
  }

  /** An atom, upper-cased when `upper`. */
  atom(what: string, upper = true): string {
    const t = this.next(what);
    if (t.type !== 'atom') throw new ArgError(`${this.what}: ${what} must be an atom`);
    return upper ? t.value.toUpperCase() : t.value;
  }

  /** Peeks an atom (upper-cased) without consuming it. */
  peekAtom(): string | null {
    const t = this.peek();
    return t && t.type === 'atom' ? t.value.toUpperCase() : null;
  }

  astring(what: string): string {
    return stringOf(this.next(what), this.what, what);
  }

  nstring(what: string): string | null {
    const t = this.next(what);
    if (t.type === 'atom' && t.value.toUpperCase() === 'NIL') return null;
    return stringOf(t, this.what, what);
  }

  number(what: string, max = Number.MAX_SAFE_INTEGER): number {
    return toNumber(this.atom(what), this.what, what, max);
  }

  /** A mod-sequence (RFC 7162 section 7: up to 2^63-1, so a bigint). */
  modseq(what = 'mod-sequence'): bigint {
    const s = this.atom(what);
    if (!/^\d{1,19}$/.test(s) || BigInt(s) > 0x7fffffffffffffffn) throw new ArgError(`${this.what}: ${what} must be a number below 2^63`);
    return BigInt(s);
  }

  list(what: string): Args {
    const t = this.next(what);
    if (t.type !== 'list') throw new ArgError(`${this.what}: ${what} must be a parenthesised list`);
    return new Args(t.items, this.what);
  }

  /** A list, or a single item treated as a one-element list (flag lists of STORE, RFC 3501 6.4.6). */
  listOrSingle(what: string): Args {
    const t = this.peek();
    if (t && t.type === 'list') return this.list(what);
    return new Args([this.next(what)], this.what);
  }

  sequenceSet(what = 'sequence set'): SequenceSet {
    const text = this.atom(what, false);
    const set = parseSequenceSet(text);
    if (!set) throw new ArgError(`${this.what}: invalid ${what} "${text}"`);
    return set;
  }

  /** A literal or a string token as bytes, or a streamed literal reference (APPEND data). */
  literal(what: string): Buffer | StreamedLiteral {
    const t = this.next(what);
    if (t.type === 'literal') return t.data ?? { stream: t.stream!, size: t.size, binary: t.binary };
    if (t.type === 'quoted') return Buffer.from(t.value, 'utf8');
    throw new ArgError(`${this.what}: ${what} must be a literal`);
  }

  /** Remaining tokens as astrings. */
  rest(what: string): string[] {
    const out: string[] = [];
    while (!this.atEnd) out.push(this.astring(what));
    return out;
  }
}

export function stringOf(t: Token, cmd: string, what: string): string {
  if (t.type === 'atom' || t.type === 'quoted') return t.value;
  if (t.type === 'literal' && t.data) return t.data.toString('utf8');
  throw new ArgError(`${cmd}: ${what} must be a string`);
}

export function toNumber(s: string, cmd: string, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d{1,16}$/.test(s) || Number(s) > max) throw new ArgError(`${cmd}: ${what} must be a number up to ${max}`);
  return Number(s);
}
