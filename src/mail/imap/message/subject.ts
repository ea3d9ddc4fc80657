// RFC 5256 section 2.1 base subject (SORT SUBJECT, THREAD ORDEREDSUBJECT and REFERENCES),
// RFC 5322 date parsing (SENT* search keys, SORT DATE) and the i;ascii-casemap collation key.
// Pure.
import { decodeWords } from './charset.ts';

const TRAILER = /(?:[ \t]*\(fwd\)|[ \t]+)$/i;
const BLOB = String.raw`\[[^\[\]]*\][ \t]*`;
const LEADER = new RegExp(String.raw`^(?:(?:${BLOB})*(?:re|fwd?)[ \t]*(?:${BLOB})?:|[ \t]+)`, 'i');
const LEADING_BLOB = new RegExp(`^${BLOB}`);
const FWD_HDR = /^\[fwd:(.*)\]$/is;

/**
 * The base subject of RFC 5256 section 2.1: encoded words decoded, whitespace collapsed,
 * `Re:`/`Fwd:`/`[blob]` leaders, `(fwd)` trailers and `[fwd: ...]` wrappers removed.
 * @example baseSubject('Re: [list] Fwd: hello (fwd)') // 'hello'
 */
export function baseSubject(subject: string | null): string {
  return extractSubject(subject).base;
}

/**
 * The base subject and whether the subject marked a reply or forward (a `Re:`/`Fwd:` leader,
 * a `(fwd)` trailer or a `[fwd: ...]` wrapper), which THREAD=REFERENCES step 5 needs.
 */
export function extractSubject(subject: string | null): { base: string; isReplyOrForward: boolean } {
  if (subject === null) return { base: '', isReplyOrForward: false };
  let replyOrForward = false;
  // (1) decode, tabs and continuations to space, runs of spaces to one
  let s = decodeWords(subject).replace(/\r?\n/g, '').replace(/[\t ]+/g, ' ');
  for (let round = 0; round < 100; round++) {
    // (2) trailers
    for (let prev = ''; prev !== s;) {
      prev = s;
      s = s.replace(TRAILER, (m) => { if (m.trim() !== '') replyOrForward = true; return ''; });
    }
    // (3)-(5) leaders and a leading blob when something follows it
    for (let prev = ''; prev !== s;) {
      prev = s;
      s = s.replace(LEADER, (m) => { if (m.trim() !== '') replyOrForward = true; return ''; });
      const blob = LEADING_BLOB.exec(s);
      if (blob && blob[0].length < s.length) s = s.slice(blob[0].length);
    }
    // (6) [fwd: ...] wrapper: unwrap and start again at (2)
    const fwd = FWD_HDR.exec(s);
    if (!fwd) break;
    s = fwd[1]!;
    replyOrForward = true;
  }
  return { base: s, isReplyOrForward: replyOrForward };
}

/** i;ascii-casemap (RFC 4790): ASCII letters upper-cased, everything else as is. */
export function asciiCasemap(s: string): string {
  return s.replace(/[a-z]+/g, (m) => m.toUpperCase());
}

const MONTHS: Record<string, number> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11 };
const ZONES: Record<string, number> = { UT: 0, GMT: 0, Z: 0, EST: -300, EDT: -240, CST: -360, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420 };

/**
 * An RFC 5322 date-time (with the obsolete forms: 2-digit years, named zones, missing
 * seconds) in ms since the epoch; null when it is not a date.
 */
export function parseMessageDate(value: string | null): number | null {
  if (value === null) return null;
  const m = /(\d{1,2})\s+([A-Za-z]{3})[a-z]*\.?\s+(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-]\d{4}|[A-Za-z]{1,5})?/.exec(value);
  if (!m) {
    const t = Date.parse(value);
    return Number.isFinite(t) ? t : null;
  }
  const month = MONTHS[m[2]!.toLowerCase()];
  if (month === undefined) return null;
  let year = Number(m[3]);
  if (m[3]!.length === 2) year += year < 50 ? 2000 : 1900;
  else if (m[3]!.length === 3) year += 1900;
  const day = Number(m[1]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  let offset = 0;
  const zone = m[7];
  if (zone !== undefined) {
    if (/^[+-]\d{4}$/.test(zone)) {
      const sign = zone[0] === '-' ? -1 : 1;
      offset = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
    } else offset = ZONES[zone.toUpperCase()] ?? 0;
  }
  const t = Date.UTC(year, month, day, hour, minute, second) - offset * 60_000;
  return Number.isFinite(t) ? t : null;
}
