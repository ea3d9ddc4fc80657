// SEARCH criteria (RFC 3501 section 6.4.4, RFC 9051 section 6.4.4), ESEARCH RETURN options
// (RFC 4731, RFC 5182), MODSEQ (RFC 7162 section 3.1.5). Pure; errors are ArgError.
import { ArgError } from './args.ts';
import { Args } from './args.ts';
import { parseSequenceSet } from './sequence-set.ts';
import type { SearchKey, FlagKey, TextKey, DateKey, Day } from './search-types.ts';
import type { SearchReturn } from './command-types.ts';

const FLAG_KEYS = new Set<string>(['ALL', 'ANSWERED', 'DELETED', 'DRAFT', 'FLAGGED', 'NEW', 'OLD', 'RECENT', 'SEEN', 'UNANSWERED', 'UNDELETED', 'UNDRAFT', 'UNFLAGGED', 'UNSEEN']);
const TEXT_KEYS = new Set<string>(['BCC', 'BODY', 'CC', 'FROM', 'SUBJECT', 'TEXT', 'TO']);
const DATE_KEYS = new Set<string>(['BEFORE', 'ON', 'SINCE', 'SENTBEFORE', 'SENTON', 'SENTSINCE']);
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const MAX_SEARCH_DEPTH = 32;

/** `date` of RFC 3501 section 9 (`1-Feb-1994`, optionally quoted) as `1994-02-01`. */
export function parseSearchDate(text: string): Day | null {
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
  if (!m) return null;
  const month = MONTHS.indexOf(m[2]!.toUpperCase());
  const day = Number(m[1]);
  if (month < 0) return null;
  const d = new Date(Date.UTC(Number(m[3]), month, day));
  if (d.getUTCDate() !== day) return null;
  return d.toISOString().slice(0, 10);
}

/** Parses one search key, recursing into OR, NOT and parenthesised groups. */
function parseKey(args: Args, depth: number): SearchKey {
  if (depth > MAX_SEARCH_DEPTH) throw new ArgError('SEARCH: criteria nested too deeply');
  const t = args.next('search key');
  if (t.type === 'list') {
    const inner = new Args(t.items, 'SEARCH');
    const keys = parseKeys(inner, depth + 1);
    return keys.length === 1 ? keys[0]! : { key: 'AND', keys };
  }
  if (t.type !== 'atom') throw new ArgError('SEARCH: search key expected');
  const key = t.value.toUpperCase();
  if (FLAG_KEYS.has(key)) return { key: key as FlagKey };
  if (TEXT_KEYS.has(key)) return { key: key as TextKey, value: args.astring(`${key} value`) };
  if (DATE_KEYS.has(key)) {
    const text = args.astring(`${key} date`);
    const day = parseSearchDate(text);
    if (!day) throw new ArgError(`SEARCH: invalid date "${text}"`);
    return { key: key as DateKey, day };
  }
  switch (key) {
    case 'KEYWORD': case 'UNKEYWORD': return { key, flag: args.atom('flag', false) };
    case 'HEADER': return { key, field: args.astring('header field'), value: args.astring('header value') };
    case 'LARGER': case 'SMALLER': return { key, size: args.number('size', 0xffffffff) };
    case 'OLDER': case 'YOUNGER': return { key, seconds: args.number('interval', 0xffffffff) };
    case 'UID': return { key, set: args.sequenceSet('UID set') };
    case 'NOT': return { key, inner: parseKey(args, depth + 1) };
    case 'OR': return { key, left: parseKey(args, depth + 1), right: parseKey(args, depth + 1) };
    case 'MODSEQ': return parseModseq(args);
  }
  const set = parseSequenceSet(t.value);
  if (set) return { key: 'SEQ', set };
  throw new ArgError(`SEARCH: unknown search key "${t.value}"`);
}

/** `MODSEQ [entry-name entry-type-req] mod-sequence-valzer` (RFC 7162 section 3.1.5). */
function parseModseq(args: Args): SearchKey {
  const t = args.peek();
  let entry: { name: string; type: 'priv' | 'shared' | 'all' } | null = null;
  if (t && t.type !== 'atom' || (t && t.type === 'atom' && !/^\d+$/.test(t.value))) {
    const name = args.astring('entry name');
    const type = args.atom('entry type').toLowerCase();
    if (type !== 'priv' && type !== 'shared' && type !== 'all') throw new ArgError('SEARCH: MODSEQ entry type must be priv, shared or all');
    entry = { name, type };
  }
  return { key: 'MODSEQ', modseq: args.modseq(), entry };
}

function parseKeys(args: Args, depth: number): SearchKey[] {
  const keys: SearchKey[] = [];
  while (!args.atEnd) keys.push(parseKey(args, depth));
  if (keys.length === 0) throw new ArgError('SEARCH: no search criteria');
  return keys;
}

/** All remaining tokens as one criterion (several keys are an implicit AND). */
export function parseCriteria(args: Args): SearchKey {
  const keys = parseKeys(args, 0);
  return keys.length === 1 ? keys[0]! : { key: 'AND', keys };
}

const RETURN_OPTS = new Set(['MIN', 'MAX', 'ALL', 'COUNT', 'SAVE']);

/** `[RETURN (...)] [CHARSET x] criteria` of SEARCH (RFC 4731 section 3, RFC 3501 section 6.4.4). */
export function parseSearchArgs(args: Args): { returns: SearchReturn; charset: string | null; criteria: SearchKey } {
  const returns = parseSearchReturn(args);
  let charset: string | null = null;
  if (args.peekAtom() === 'CHARSET') {
    args.next('CHARSET');
    charset = args.astring('charset').toUpperCase();
  }
  return { returns, charset, criteria: parseCriteria(args) };
}

/** The optional `RETURN (...)` of SEARCH and SORT (RFC 4731 section 3, RFC 5267). */
export function parseSearchReturn(args: Args): SearchReturn {
  let returns: SearchReturn = null;
  if (args.peekAtom() === 'RETURN') {
    args.next('RETURN');
    const list = args.list('return options');
    const opts: ('MIN' | 'MAX' | 'ALL' | 'COUNT' | 'SAVE')[] = [];
    while (!list.atEnd) {
      const o = list.atom('return option');
      if (!RETURN_OPTS.has(o)) throw new ArgError(`SEARCH: unknown return option ${o}`);
      opts.push(o as 'MIN');
    }
    // RFC 4731 section 3.1: an empty RETURN () means ALL.
    returns = opts.length ? opts : ['ALL'];
  }
  return returns;
}
