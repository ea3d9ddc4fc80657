// RFC 5322 section 3.4 address lists for ENVELOPE: mailboxes, groups, quoted local parts,
// source routes (obs-route), missing hosts. Pure and lenient: garbage is skipped, never thrown.
// Display names stay as sent (encoded words are not decoded: RFC 3501 7.4.2 wants them raw).
import type { Address, AddressEntry } from '../proto/envelope.ts';

/** Host of an address without one: NIL would read as a group marker (RFC 3501 7.4.2). UW imapd's value. */
export const MISSING_HOST = '.MISSING-HOST-NAME.';

type Tok =
  | { t: 'atom'; v: string }
  | { t: 'quoted'; v: string; raw: string }
  | { t: 'comment'; v: string }
  | { t: 'literal'; v: string }
  | { t: 'special'; v: string };

const SPECIALS = '()<>@,;:\\".[]';

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') { i++; continue; }
    if (c === '"') {
      let v = '';
      const from = i;
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        v += s[i];
        i++;
      }
      i++;
      out.push({ t: 'quoted', v, raw: s.slice(from, i) });
      continue;
    }
    if (c === '(') {
      let depth = 0;
      let v = '';
      for (; i < s.length; i++) {
        const d = s[i]!;
        if (d === '\\' && i + 1 < s.length) { i++; v += s[i]; continue; }
        if (d === '(') { if (depth++ > 0) v += d; continue; }
        if (d === ')') { if (--depth === 0) { i++; break; } v += d; continue; }
        v += d;
      }
      out.push({ t: 'comment', v: v.trim() });
      continue;
    }
    if (c === '[') {
      const close = s.indexOf(']', i);
      const end = close === -1 ? s.length : close + 1;
      out.push({ t: 'literal', v: s.slice(i, end) });
      i = end;
      continue;
    }
    if (SPECIALS.includes(c)) { out.push({ t: 'special', v: c }); i++; continue; }
    let v = '';
    while (i < s.length && !SPECIALS.includes(s[i]!) && !' \t\r\n'.includes(s[i]!)) v += s[i++];
    out.push({ t: 'atom', v });
  }
  return out;
}

const isSpecial = (tok: Tok | undefined, v: string): boolean => tok !== undefined && tok.t === 'special' && tok.v === v;

/** A phrase (display name): words joined by one space, quoted strings unquoted. */
function phrase(toks: readonly Tok[]): string | null {
  const words: string[] = [];
  for (const t of toks) {
    if (t.t === 'comment') continue;
    if (t.t === 'special' && t.v === '.' && words.length > 0) { words[words.length - 1] += '.'; continue; }
    words.push(t.v);
  }
  const text = words.join(' ').trim();
  return text === '' ? null : text;
}

/** A local part: dot-atoms joined; a quoted part keeps its quotes only when it needs them. */
function localPart(toks: readonly Tok[]): string {
  let out = '';
  for (const t of toks) {
    if (t.t === 'comment') continue;
    if (t.t === 'quoted') out += /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$/.test(t.v) && !/^\.|\.$|\.\./.test(t.v) ? t.v : t.raw;
    else out += t.v;
  }
  return out;
}

function domain(toks: readonly Tok[]): string {
  return toks.filter((t) => t.t !== 'comment').map((t) => t.v).join('');
}

/** addr-spec (possibly inside <>, with an obs-route): local part and host. */
function addrSpec(toks: readonly Tok[]): { adl: string | null; mailbox: string; host: string } {
  let rest = toks;
  let adl: string | null = null;
  const colon = rest.findIndex((t) => isSpecial(t, ':'));
  if (rest[0] && isSpecial(rest[0], '@') && colon > 0) {
    adl = rest.slice(0, colon).filter((t) => t.t !== 'comment').map((t) => t.v).join('');
    rest = rest.slice(colon + 1);
  }
  let at = -1;
  for (let i = rest.length - 1; i >= 0; i--) if (isSpecial(rest[i], '@')) { at = i; break; }
  if (at === -1) {
    const mailbox = localPart(rest);
    return { adl, mailbox, host: mailbox === '' ? '' : MISSING_HOST };
  }
  const host = domain(rest.slice(at + 1));
  return { adl, mailbox: localPart(rest.slice(0, at)), host: host === '' ? MISSING_HOST : host };
}

/** One mailbox: `name <addr>`, `addr (comment)` or `addr`. */
function mailbox(toks: readonly Tok[]): Address | null {
  const meaningful = toks.filter((t) => t.t !== 'comment');
  if (meaningful.length === 0) return null;
  const open = toks.findIndex((t) => isSpecial(t, '<'));
  if (open !== -1) {
    let close = toks.findIndex((t, i) => i > open && isSpecial(t, '>'));
    if (close === -1) close = toks.length;
    const spec = addrSpec(toks.slice(open + 1, close));
    let name = phrase(toks.slice(0, open));
    if (name === null) name = commentName(toks.slice(close + 1));
    return { name, adl: spec.adl, mailbox: spec.mailbox, host: spec.host };
  }
  const spec = addrSpec(toks);
  return { name: commentName(toks), adl: spec.adl, mailbox: spec.mailbox, host: spec.host };
}

/** `user@host (Real Name)`: the last non-empty comment stands in for the display name. */
function commentName(toks: readonly Tok[]): string | null {
  for (let i = toks.length - 1; i >= 0; i--) {
    const t = toks[i]!;
    if (t.t === 'comment' && t.v !== '') return t.v;
  }
  return null;
}

/** Splits tokens at top-level `sep` (ignoring those inside <>). */
function splitAt(toks: readonly Tok[], sep: string): Tok[][] {
  const out: Tok[][] = [[]];
  let angle = 0;
  for (const t of toks) {
    if (isSpecial(t, '<')) angle++;
    else if (isSpecial(t, '>')) angle = Math.max(0, angle - 1);
    if (angle === 0 && isSpecial(t, sep)) { out.push([]); continue; }
    out[out.length - 1]!.push(t);
  }
  return out;
}

/**
 * Parses an address-list header value (From, To, Cc, ...) into ENVELOPE entries.
 * @example parseAddressList('A <a@x>, g: b@y;') // [{name:'A',...}, {group:'g', members:[...]}]
 */
export function parseAddressList(value: string | null): AddressEntry[] {
  if (value === null) return [];
  const toks = tokenize(value);
  const out: AddressEntry[] = [];
  let i = 0;
  while (i < toks.length) {
    // A group starts with a phrase and ':' before any '<', '@' or ','.
    let j = i;
    while (j < toks.length && (toks[j]!.t !== 'special' || toks[j]!.v === '.')) j++;
    if (j < toks.length && isSpecial(toks[j], ':') && j > i) {
      const name = phrase(toks.slice(i, j)) ?? '';
      let k = j + 1;
      let angle = 0;
      while (k < toks.length) {
        if (isSpecial(toks[k], '<')) angle++;
        else if (isSpecial(toks[k], '>')) angle = Math.max(0, angle - 1);
        else if (angle === 0 && isSpecial(toks[k], ';')) break;
        k++;
      }
      const members = splitAt(toks.slice(j + 1, k), ',').map(mailbox).filter((a): a is Address => a !== null);
      out.push({ group: name, members });
      i = k + 1;
      if (isSpecial(toks[i], ',')) i++;
      continue;
    }
    // One mailbox: up to the next top-level ','.
    let k = i;
    let angle = 0;
    while (k < toks.length) {
      if (isSpecial(toks[k], '<')) angle++;
      else if (isSpecial(toks[k], '>')) angle = Math.max(0, angle - 1);
      else if (angle === 0 && (isSpecial(toks[k], ',') || isSpecial(toks[k], ';'))) break;
      k++;
    }
    const a = mailbox(toks.slice(i, k));
    if (a !== null) out.push(a);
    i = k + 1;
  }
  return out;
}
