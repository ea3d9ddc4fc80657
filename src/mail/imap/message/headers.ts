// Header blocks (RFC 5322 section 2.2) and structured MIME header values (RFC 2045
// section 5.1, RFC 2231 parameter continuations). Pure. Values are kept as sent: encoded
// words are not decoded here (ENVELOPE and BODYSTRUCTURE carry them raw).

export interface HeaderField {
  /** Field name as sent. */
  readonly name: string;
  /** Upper-cased name, for case-insensitive matching. */
  readonly key: string;
  /** Unfolded value (CRLF before WSP removed), leading and trailing whitespace trimmed. */
  readonly value: string;
}

/** A field line starts with printable ASCII other than ':' and reaches a ':' (RFC 5322 2.2). */
const FIELD_START = /^[!-9;-~]+[ \t]*:/;

/** Whether a header line (without its line end) opens a field. */
export function isFieldLine(line: string): boolean {
  return FIELD_START.test(line);
}

/**
 * Splits a raw header block into fields. Lines that are neither a field nor a
 * continuation are skipped; 8-bit bytes are read as UTF-8 (RFC 6532), invalid ones as U+FFFD.
 */
export function parseHeaderBlock(raw: Buffer): HeaderField[] {
  const text = raw.toString('utf8');
  const fields: HeaderField[] = [];
  let name: string | null = null;
  let value = '';
  const flush = (): void => {
    if (name !== null) fields.push({ name, key: name.toUpperCase(), value: value.replace(/^[ \t]+|[ \t\r\n]+$/g, '') });
    name = null;
  };
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && name !== null) {
      value += line; // unfolding: the line break goes, the whitespace stays
      continue;
    }
    flush();
    const m = FIELD_START.exec(line);
    if (!m) continue;
    const colon = line.indexOf(':');
    name = line.slice(0, colon).replace(/[ \t]+$/, '');
    value = line.slice(colon + 1);
  }
  flush();
  return fields;
}

/** First value of a field (case-insensitive name), or null. */
export function headerValue(fields: readonly HeaderField[], name: string): string | null {
  const key = name.toUpperCase();
  for (const f of fields) if (f.key === key) return f.value;
  return null;
}

/** All values of a field, in order. */
export function headerValues(fields: readonly HeaderField[], name: string): string[] {
  const key = name.toUpperCase();
  return fields.filter((f) => f.key === key).map((f) => f.value);
}

/** A structured value such as `text/plain; charset="utf-8"`: the leading token and its parameters. */
export interface StructuredValue {
  readonly value: string;
  /** Parameters in order, names upper-cased, RFC 2231 continuations joined. */
  readonly params: ReadonlyArray<readonly [string, string]>;
}

type Token = { kind: 'text'; text: string } | { kind: 'quoted'; text: string } | { kind: 'special'; text: string };

/** Tokens of a MIME structured value: quoted strings, specials `;=/`, runs of other text; comments dropped. */
function tokenize(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') { i++; continue; }
    if (c === '(') {
      let depth = 0;
      for (; i < input.length; i++) {
        const d = input[i];
        if (d === '\\') { i++; continue; }
        if (d === '(') depth++;
        else if (d === ')' && --depth === 0) { i++; break; }
      }
      continue;
    }
    if (c === '"') {
      let text = '';
      i++;
      while (i < input.length && input[i] !== '"') {
        if (input[i] === '\\' && i + 1 < input.length) i++;
        text += input[i];
        i++;
      }
      i++;
      out.push({ kind: 'quoted', text });
      continue;
    }
    if (c === ';' || c === '=') { out.push({ kind: 'special', text: c }); i++; continue; }
    let text = '';
    while (i < input.length && !' \t\r\n();="'.includes(input[i]!)) text += input[i++];
    out.push({ kind: 'text', text });
  }
  return out;
}

/**
 * Parses `value; a=b; c="d"` (Content-Type, Content-Disposition). RFC 2231 continuations
 * `name*0`, `name*1` are joined into `NAME`; extended ones (`name*0*`) into `NAME*` with the
 * value still percent-encoded, as sent (the charset'lang' prefix kept).
 */
export function parseStructured(input: string): StructuredValue {
  const tokens = tokenize(input);
  let i = 0;
  let value = '';
  while (i < tokens.length && !(tokens[i]!.kind === 'special' && tokens[i]!.text === ';')) {
    value += tokens[i]!.text;
    i++;
  }
  const raw: Array<[string, string]> = [];
  while (i < tokens.length) {
    i++; // the ';'
    const name = tokens[i];
    if (!name || name.kind === 'special') continue;
    const eq = tokens[i + 1];
    if (!eq || eq.kind !== 'special' || eq.text !== '=') { i++; continue; }
    let v = '';
    let j = i + 2;
    // A value is one token, but be lenient with unquoted values holding '/', '@' and the like.
    while (j < tokens.length && !(tokens[j]!.kind === 'special' && tokens[j]!.text === ';')) {
      v += tokens[j]!.text;
      j++;
    }
    raw.push([name.text, v]);
    i = j;
  }
  return { value: value.toLowerCase(), params: joinContinuations(raw) };
}

/** Joins RFC 2231 continuations, keeping the order of first appearance. */
function joinContinuations(raw: ReadonlyArray<readonly [string, string]>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const parts = new Map<string, { index: number; pieces: Map<number, string>; extended: boolean }>();
  for (const [name, value] of raw) {
    const m = /^(.+?)\*(\d+)(\*?)$/.exec(name);
    if (!m) {
      out.push([name.toUpperCase(), value]);
      continue;
    }
    const base = m[1]!.toUpperCase();
    let entry = parts.get(base);
    if (!entry) {
      entry = { index: out.length, pieces: new Map(), extended: false };
      parts.set(base, entry);
      out.push([base, '']);
    }
    if (Number(m[2]) === 0 && m[3] === '*') entry.extended = true;
    if (Number(m[2]) < 1000) entry.pieces.set(Number(m[2]), value);
  }
  for (const [base, entry] of parts) {
    const pieces = [...entry.pieces.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
    out[entry.index] = [entry.extended ? `${base}*` : base, pieces.join('')];
  }
  return out;
}

/** The parameter `name` (upper-case) of a structured value, or null. */
export function param(v: StructuredValue, name: string): string | null {
  for (const [k, val] of v.params) if (k === name) return val;
  return null;
}
