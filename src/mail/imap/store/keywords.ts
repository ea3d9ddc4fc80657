// Keywords on disk: the Dovecot `dovecot-keywords` file of a folder ("<n> <name>" lines, n
// 0..25 = Maildir letter a..z), so keywords survive losing index/ and Dovecot reads them.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { replaceFileDurable } from '../../../lib/durable.ts';
import { TandemError } from '../../../lib/errors.ts';

export const KEYWORDS_FILE = 'dovecot-keywords';
/** Maildir has 26 lower-case letters; more keywords per folder cannot be stored. */
export const MAX_KEYWORDS = 26;

/** Parses dovecot-keywords into an array indexed by letter (holes stay undefined). Pure. */
export function parseKeywords(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+) (\S+)$/.exec(line.trim());
    if (m && Number(m[1]) < MAX_KEYWORDS) out[Number(m[1])] = m[2]!;
  }
  return out;
}

export function formatKeywords(keywords: readonly string[]): string {
  return keywords.map((k, i) => (k === undefined ? '' : `${i} ${k}\n`)).join('');
}

export async function readKeywords(dir: string): Promise<string[]> {
  const text = await readFile(join(dir, KEYWORDS_FILE), 'utf8').catch(() => '');
  return parseKeywords(text);
}

/** Index of a keyword, matched case-insensitively like IMAP flags; -1 when absent. */
export function keywordIndex(keywords: readonly string[], name: string): number {
  const lower = name.toLowerCase();
  return keywords.findIndex((k) => k !== undefined && k.toLowerCase() === lower);
}

/**
 * Gives letters to `names` that have none yet, writing the file durably. Call under the
 * folder lock (re-reads the file there, so two processes never give one letter twice).
 */
export async function ensureKeywords(dir: string, names: readonly string[]): Promise<string[]> {
  const keywords = await readKeywords(dir);
  let changed = false;
  for (const name of names) {
    if (keywordIndex(keywords, name) >= 0) continue;
    let free = 0;
    while (keywords[free] !== undefined) free++;
    if (free >= MAX_KEYWORDS) throw new TandemError('MAIL_ERR_TOO_MANY_KEYWORDS', 'not-possible', `a folder holds at most ${MAX_KEYWORDS} keywords; cannot add "${name}"`);
    keywords[free] = name;
    changed = true;
  }
  if (changed) await replaceFileDurable(join(dir, KEYWORDS_FILE), formatKeywords(keywords));
  return keywords;
}
