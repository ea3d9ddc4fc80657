// POP3 command-line splitting and argument parsers (RFC 1939 section 3, RFC 2449
// section 4, RFC 5034 section 4). Pure; each command descriptor picks its parser here.

/** A parse failure: the text is sent after "-ERR ". */
export interface ArgError { readonly error: string }

export function isArgError(value: unknown): value is ArgError {
  return typeof value === 'object' && value !== null && 'error' in value;
}

/** A command line split into its keyword (upper-cased) and the rest of the line. */
export interface SplitLine {
  readonly verb: string;
  /** The arguments with trailing spaces removed. */
  readonly rest: string;
  /** The arguments exactly as sent after the keyword's separator (for PASS). */
  readonly raw: string;
}

/**
 * Splits "KEYWORD args". RFC 1939: keywords are case-insensitive, 3 or 4 characters,
 * separated from arguments by a single space. Extra spaces are tolerated, as clients
 * send them in practice. Returns null for an empty or non-printable keyword.
 */
export function splitCommand(line: string): SplitLine | null {
  const m = /^ *([A-Za-z]{1,20})(?:$| (.*)$)/s.exec(line);
  if (!m) return null;
  const raw = m[2] ?? '';
  return { verb: m[1]!.toUpperCase(), rest: raw.replace(/^ +| +$/g, ''), raw };
}

const words = (rest: string): string[] => (rest === '' ? [] : rest.split(/ +/));

/** RFC 1939: a message-number is 1*DIGIT and never 0; capped so it stays an exact number. */
export function parseMsgNumber(text: string): number | ArgError {
  if (!/^\d{1,9}$/.test(text)) return { error: `invalid message number "${text.slice(0, 20)}": expected digits 1-999999999` };
  const n = Number(text);
  return n >= 1 ? n : { error: 'invalid message number 0: message numbers start at 1' };
}

/** For commands without arguments (STAT, RSET, NOOP, QUIT, CAPA, STLS). */
export function parseNone(rest: string): null | ArgError {
  return rest === '' ? null : { error: 'this command takes no arguments' };
}

/** "LIST [msg]" and "UIDL [msg]". */
export function parseOptionalMsg(rest: string): { msg: number | null } | ArgError {
  const w = words(rest);
  if (w.length === 0) return { msg: null };
  if (w.length > 1) return { error: 'expected at most one message number' };
  const n = parseMsgNumber(w[0]!);
  return isArgError(n) ? n : { msg: n };
}

/** "RETR msg" and "DELE msg". */
export function parseMsg(rest: string): { msg: number } | ArgError {
  const w = words(rest);
  if (w.length !== 1) return { error: 'expected one message number' };
  const n = parseMsgNumber(w[0]!);
  return isArgError(n) ? n : { msg: n };
}

/** "TOP msg n" (RFC 1939 section 7): n is a non-negative number of body lines. */
export function parseTop(rest: string): { msg: number; lines: number } | ArgError {
  const w = words(rest);
  if (w.length !== 2) return { error: 'expected a message number and a number of lines' };
  const msg = parseMsgNumber(w[0]!);
  if (isArgError(msg)) return msg;
  if (!/^\d{1,9}$/.test(w[1]!)) return { error: `invalid number of lines "${w[1]!.slice(0, 20)}"` };
  return { msg, lines: Number(w[1]) };
}

/** "USER name": one argument; RFC 1939 section 7. */
export function parseUser(rest: string): { name: string } | ArgError {
  if (rest === '') return { error: 'expected a user name' };
  if (/ /.test(rest)) return { error: 'a user name contains no spaces' };
  return { name: rest };
}

/**
 * "PASS string". RFC 1939 section 13 notes servers may take the rest of the line as
 * the password, so passwords containing spaces work; trailing spaces are kept too.
 */
export function parsePass(raw: string): { password: string } | ArgError {
  return raw === '' ? { error: 'expected a password' } : { password: raw };
}

/** "AUTH [mechanism [initial-response]]" (RFC 5034 section 4). */
export function parseAuth(rest: string): { mechanism: string | null; initial: string | null } | ArgError {
  const w = words(rest);
  if (w.length === 0) return { mechanism: null, initial: null };
  if (w.length > 2) return { error: 'expected a mechanism and at most one initial response' };
  if (!/^[A-Za-z0-9_-]{1,20}$/.test(w[0]!)) return { error: 'invalid SASL mechanism name' };
  return { mechanism: w[0]!.toUpperCase(), initial: w[1] ?? null };
}
