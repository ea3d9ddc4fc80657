// IMAP flags <-> Maildir info letters (the "2," part of a file name). Pure. System flags
// use the standard letters so mutt and Dovecot agree; keywords use a..z from dovecot-keywords.

/** IMAP system flags and their Maildir letters (Maildir spec; P "passed" has no IMAP flag). */
export const SYSTEM_FLAGS: ReadonlyMap<string, string> = new Map([
  ['\\Draft', 'D'], ['\\Flagged', 'F'], ['\\Answered', 'R'], ['\\Seen', 'S'], ['\\Deleted', 'T'],
]);

const LETTER_TO_SYSTEM = new Map([...SYSTEM_FLAGS].map(([f, l]) => [l, f]));

/** The canonical case of a system flag (IMAP flags are case-insensitive), or null for a keyword. */
export function systemFlag(flag: string): string | null {
  for (const f of SYSTEM_FLAGS.keys()) if (f.toLowerCase() === flag.toLowerCase()) return f;
  return null;
}

/** Sorted, de-duplicated letters: the canonical Maildir info string. */
export function normalizeLetters(letters: string): string {
  return [...new Set(letters.split(''))].sort().join('');
}

/**
 * IMAP flags of a Maildir info string. Lower-case letters are keywords looked up in
 * `keywords` (index 0 = 'a'); unknown letters and P are kept on disk but not shown.
 */
export function lettersToFlags(letters: string, keywords: readonly string[]): string[] {
  const out: string[] = [];
  for (const l of letters) {
    const sys = LETTER_TO_SYSTEM.get(l);
    if (sys) out.push(sys);
    else if (l >= 'a' && l <= 'z') {
      const kw = keywords[l.charCodeAt(0) - 97];
      if (kw !== undefined) out.push(kw);
    }
  }
  return out;
}

export type FlagMode = 'add' | 'remove' | 'replace';

/**
 * The new info string after a STORE. `letterOf` maps an IMAP flag to its letter (keywords
 * must have been given letters already). Letters IMAP cannot express (P, unknown keywords)
 * survive a replace, so another MUA's data is never lost.
 */
export function applyFlags(current: string, mode: FlagMode, flags: readonly string[], letterOf: (flag: string) => string): string {
  const given = new Set(flags.map(letterOf));
  let next: Set<string>;
  if (mode === 'add') next = new Set([...current, ...given]);
  else if (mode === 'remove') next = new Set([...current].filter((l) => !given.has(l)));
  else next = new Set([...[...current].filter((l) => !isImapLetter(l)), ...given]);
  return normalizeLetters([...next].join(''));
}

function isImapLetter(l: string): boolean {
  return LETTER_TO_SYSTEM.has(l) || (l >= 'a' && l <= 'z');
}

/** Is this a valid keyword atom (RFC 9051 flag-keyword: atom chars, no "\\")? */
export function isKeyword(flag: string): boolean {
  // eslint-disable-next-line no-control-regex
  return flag !== '' && !/[\x00-\x20\x7f(){%*"\\\]]/.test(flag);
}
