// IMAP token tree and the tokenizer that builds it from the framed parts of one command
// (RFC 3501 section 9 / RFC 9051 section 9 grammar). Pure; errors are values, never thrown.

/** A literal's bytes: inline when small, or streamed to the caller (data null, `stream` set). */
export interface LiteralToken {
  readonly type: 'literal';
  readonly data: Buffer | null;
  readonly size: number;
  readonly binary: boolean;
  /** Index of the streamed literal (see reader `literal-start`), null when inline. */
  readonly stream: number | null;
}

export type Token =
  | { readonly type: 'atom'; readonly value: string }
  | { readonly type: 'quoted'; readonly value: string }
  | LiteralToken
  | { readonly type: 'list'; readonly items: Token[] };

/** One framed piece of a command: a line (CRLF stripped, literal marker kept) or a literal. */
export type Part = { readonly kind: 'line'; readonly text: string } | ({ readonly kind: 'literal' } & Omit<LiteralToken, 'type'>);

export interface TokenLimits {
  readonly maxDepth: number;
  readonly maxTokens: number;
}

export type TokenizeResult =
  | { readonly ok: true; readonly tokens: Token[] }
  | { readonly ok: false; readonly reason: string };

/** Literal marker at the end of a line: `{n}`, `{n+}`, `{n-}`... (RFC 7888) and `~{n}` (RFC 3516). */
export const LITERAL_MARKER = /(~?)\{(\d{1,20})(\+?)\}$/;

class Fail {
  constructor(readonly reason: string) {}
}

/** Tokenizes the parts of one command; the first token is the tag. */
export function tokenize(parts: readonly Part[], limits: TokenLimits): TokenizeResult {
  const root: Token[] = [];
  const stack: Token[][] = [root];
  let count = 0;
  const add = (t: Token): void => {
    if (++count > limits.maxTokens) throw new Fail(`too many tokens (limit ${limits.maxTokens})`);
    stack[stack.length - 1]!.push(t);
  };
  try {
    for (let p = 0; p < parts.length; p++) {
      const part = parts[p]!;
      if (part.kind !== 'line') throw new Fail('unexpected literal');
      const s = part.text;
      let i = 0;
      while (i < s.length) {
        const c = s[i]!;
        if (c === ' ') { i++; continue; }
        if (c === '(') {
          if (stack.length > limits.maxDepth) throw new Fail(`lists nested too deeply (limit ${limits.maxDepth})`);
          const items: Token[] = [];
          add({ type: 'list', items });
          stack.push(items);
          i++;
        } else if (c === ')') {
          if (stack.length === 1) throw new Fail('unbalanced ")"');
          stack.pop();
          i++;
        } else if (c === '"') {
          const [value, end] = readQuoted(s, i);
          add({ type: 'quoted', value });
          i = end;
        } else if (c === '{' || (c === '~' && s[i + 1] === '{')) {
          const m = LITERAL_MARKER.exec(s.slice(i));
          if (!m || m.index !== 0) throw new Fail('literal marker must end the line');
          const lit = parts[++p];
          if (!lit || lit.kind !== 'literal') throw new Fail('missing literal data');
          add({ type: 'literal', data: lit.data, size: lit.size, binary: lit.binary, stream: lit.stream });
          i = s.length;
        } else {
          const end = readAtom(s, i);
          add({ type: 'atom', value: s.slice(i, end) });
          i = end;
        }
      }
    }
    if (stack.length !== 1) throw new Fail('unclosed "("');
    return { ok: true, tokens: root };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, reason: e.reason };
    throw e;
  }
}

/** RFC 3501 section 4.3: quoted strings escape only `"` and `\`. */
function readQuoted(s: string, start: number): [string, number] {
  let out = '';
  for (let i = start + 1; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') return [out, i + 1];
    if (c === '\\') {
      const n = s[++i];
      if (n !== '\\' && n !== '"') throw new Fail('bad escape in quoted string');
      out += n;
    } else if (c === '\r' || c === '\n' || c === '\0') {
      throw new Fail('CR, LF or NUL in quoted string');
    } else out += c;
  }
  throw new Fail('unterminated quoted string');
}

/**
 * Reads an atom. A `[` opens a section that runs to the matching `]` and may hold spaces,
 * lists and quoted strings (`BODY[HEADER.FIELDS (From To)]<0.100>`, RFC 3501 section 6.4.5).
 */
function readAtom(s: string, start: number): number {
  let i = start;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '(' || c === ')' || c === '"' || c === '{') break;
    if (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f) throw new Fail('control character in atom');
    if (c === '[') {
      const close = findClose(s, i);
      if (close < 0) throw new Fail('unclosed "["');
      i = close + 1;
      continue;
    }
    i++;
  }
  return i;
}

function findClose(s: string, open: number): number {
  let inQuote = false;
  for (let i = open + 1; i < s.length; i++) {
    const c = s[i];
    if (inQuote) {
      if (c === '\\') i++;
      else if (c === '"') inQuote = false;
    } else if (c === '"') inQuote = true;
    else if (c === ']') return i;
  }
  return -1;
}
