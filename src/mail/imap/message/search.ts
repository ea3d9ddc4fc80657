// SEARCH evaluation (RFC 9051 6.4.4, RFC 3501 6.4.4, RFC 5032 OLDER/YOUNGER, RFC 7162
// MODSEQ, RFC 5182 `$`). Keys are evaluated cheapest first: flags, sizes, dates, sets and
// MODSEQ come from the candidate; SENT* needs the (cached) meta; header keys read the header
// block; BODY and TEXT stream the text parts once per message for all their needles.
// Text matching is a case-insensitive substring match on decoded UTF-8 (see content.ts).
import type { SearchKey, Day } from '../proto/search-types.ts';
import { sequenceContains } from '../proto/sequence-set.ts';
import { isTandemError } from '../../../lib/errors.ts';
import type { MessageMeta, SearchCandidate, SearchContext } from './api.ts';
import type { HeaderField } from './headers.ts';
import { bodyContains, fold } from './content.ts';
import { decodeWords } from './charset.ts';
import type { Address, AddressEntry } from '../proto/envelope.ts';
import type { HeaderCache } from './content.ts';

type MetaFn = (path: string, id: string) => Promise<MessageMeta>;

/** Where SEARCH gets content from: the (cached) meta and the (cached) decoded header. */
export interface SearchSources {
  readonly meta: MetaFn;
  readonly headers: HeaderCache;
}

/** Messages searched at once (file reads overlap; memory stays a few chunks per message). */
const PARALLEL = 4;

/** Relative cost of a key: 0 = from the candidate, 1 = meta (SENT*, envelope keys), 2 = header block, 3 = body. */
function cost(k: SearchKey): number {
  switch (k.key) {
    case 'SENTBEFORE': case 'SENTON': case 'SENTSINCE': return 1;
    case 'FROM': case 'TO': case 'CC': case 'BCC': case 'SUBJECT': return 1;
    case 'HEADER': return 2;
    case 'BODY': case 'TEXT': return 3;
    case 'NOT': return cost(k.inner);
    case 'OR': return Math.max(cost(k.left), cost(k.right));
    case 'AND': return Math.max(0, ...k.keys.map(cost));
    default: return 0;
  }
}

/** Every BODY/TEXT needle of a key tree, folded: one body pass per message answers them all. */
function bodyNeedles(k: SearchKey, out: Set<string>): Set<string> {
  if (k.key === 'BODY' || k.key === 'TEXT') out.add(fold(k.value));
  else if (k.key === 'NOT') bodyNeedles(k.inner, out);
  else if (k.key === 'OR') { bodyNeedles(k.left, out); bodyNeedles(k.right, out); }
  else if (k.key === 'AND') k.keys.forEach((x) => bodyNeedles(x, out));
  return out;
}

/** The calendar day of an instant: in the server's zone, or at a fixed offset (minutes east of UTC). */
export function dayOf(ms: number, tzOffsetMinutes?: number): Day {
  const d = tzOffsetMinutes === undefined ? new Date(ms) : new Date(ms + tzOffsetMinutes * 60_000);
  const [y, m, day] = tzOffsetMinutes === undefined ? [d.getFullYear(), d.getMonth() + 1, d.getDate()] : [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function compareDay(day: Day, key: 'BEFORE' | 'ON' | 'SINCE', wanted: Day): boolean {
  if (key === 'BEFORE') return day < wanted;
  if (key === 'ON') return day === wanted;
  return day >= wanted;
}

const FLAG_OF: Record<string, string> = { ANSWERED: '\\ANSWERED', DELETED: '\\DELETED', DRAFT: '\\DRAFT', FLAGGED: '\\FLAGGED', SEEN: '\\SEEN', RECENT: '\\RECENT' };

/** Lazily loaded content of one candidate, shared by all keys evaluated on it. */
class Lazy {
  private metaP: Promise<MessageMeta> | null = null;
  private headersP: Promise<HeaderField[]> | null = null;
  private bodyP: Promise<Set<string>> | null = null;
  constructor(readonly c: SearchCandidate, private readonly src: SearchSources, private readonly needles: readonly string[]) {}
  meta(): Promise<MessageMeta> { return (this.metaP ??= this.src.meta(this.c.path, this.c.id)); }
  headers(): Promise<HeaderField[]> { return (this.headersP ??= this.meta().then((m) => this.src.headers.get(this.c.path, this.c.id, m))); }
  body(): Promise<Set<string>> { return (this.bodyP ??= this.meta().then((m) => bodyContains(this.c.path, m, this.needles))); }
}

type EnvelopeKey = 'FROM' | 'TO' | 'CC' | 'BCC' | 'SUBJECT';

/** Folded, decoded text of each envelope field; null when the field is absent. Once per meta. */
const envelopeTexts = new WeakMap<MessageMeta, Record<EnvelopeKey, string | null>>();

function addressText(list: readonly AddressEntry[]): string | null {
  if (list.length === 0) return null;
  const one = (a: Address): string => `${a.name ? `${decodeWords(a.name)} ` : ''}<${a.mailbox ?? ''}@${a.host ?? ''}>`;
  return fold(list.map((e) => ('group' in e ? `${decodeWords(e.group)}: ${e.members.map(one).join(', ')};` : one(e))).join(', '));
}

function envelopeMatch(m: MessageMeta, key: EnvelopeKey, needle: string): boolean {
  let t = envelopeTexts.get(m);
  if (!t) {
    const e = m.envelope;
    t = { FROM: addressText(e.from), TO: addressText(e.to), CC: addressText(e.cc), BCC: addressText(e.bcc), SUBJECT: e.subject === null ? null : fold(decodeWords(e.subject)) };
    envelopeTexts.set(m, t);
  }
  const text = t[key];
  return text !== null && text.includes(fold(needle));
}

function headerMatch(fields: readonly HeaderField[], name: string, needle: string): boolean {
  const key = name.toUpperCase();
  const n = fold(needle);
  return fields.some((f) => f.key === key && (n === '' || fold(f.value).includes(n)));
}

const savedSets = new WeakMap<readonly number[], Set<number>>();

/** The saved result as a set (built once per result, not once per candidate). */
function savedSet(ctx: SearchContext): Set<number> {
  if (ctx.saved === null) return new Set();
  let s = savedSets.get(ctx.saved);
  if (!s) {
    s = new Set(ctx.saved);
    savedSets.set(ctx.saved, s);
  }
  return s;
}

/**
 * What the candidate alone decides (three-valued): true or false, or null when a content key
 * stays undecided. AND and OR combine: `OR SEEN BODY x` is true for a seen message without
 * reading it, `AND UNSEEN BODY x` false for a seen one.
 */
function cheap(k: SearchKey, c: SearchCandidate, ctx: SearchContext, flags: ReadonlySet<string>): boolean | null {
  switch (k.key) {
    case 'ALL': return true;
    case 'ANSWERED': case 'DELETED': case 'DRAFT': case 'FLAGGED': case 'SEEN': case 'RECENT':
      return flags.has(FLAG_OF[k.key]!);
    case 'UNANSWERED': case 'UNDELETED': case 'UNDRAFT': case 'UNFLAGGED': case 'UNSEEN':
      return !flags.has(FLAG_OF[k.key.slice(2)]!);
    case 'NEW': return flags.has('\\RECENT') && !flags.has('\\SEEN');
    case 'OLD': return !flags.has('\\RECENT');
    case 'KEYWORD': return flags.has(k.flag.toUpperCase());
    case 'UNKEYWORD': return !flags.has(k.flag.toUpperCase());
    case 'LARGER': return c.size > k.size;
    case 'SMALLER': return c.size < k.size;
    case 'BEFORE': case 'ON': case 'SINCE':
      return compareDay(dayOf(c.internalDateMs, ctx.tzOffsetMinutes), k.key, k.day);
    case 'OLDER': return ctx.nowMs - c.internalDateMs > k.seconds * 1000;
    case 'YOUNGER': return ctx.nowMs - c.internalDateMs <= k.seconds * 1000;
    case 'UID': case 'SEQ':
      // `$` holds UIDs (RFC 5182 saves the result as messages, which we keep by UID).
      if (k.set.kind === 'saved') return savedSet(ctx).has(c.uid);
      return k.key === 'UID' ? sequenceContains(k.set, c.uid, ctx.maxUid) : sequenceContains(k.set, c.seq, ctx.maxSeq);
    case 'MODSEQ': return BigInt(c.modseq) >= k.modseq;
    case 'NOT': {
      const r = cheap(k.inner, c, ctx, flags);
      return r === null ? null : !r;
    }
    case 'OR': {
      const a = cheap(k.left, c, ctx, flags);
      if (a === true) return true;
      const b = cheap(k.right, c, ctx, flags);
      if (b === true) return true;
      return a === false && b === false ? false : null;
    }
    case 'AND': {
      let undecided = false;
      for (const x of k.keys) {
        const r = cheap(x, c, ctx, flags);
        if (r === false) return false;
        if (r === null) undecided = true;
      }
      return undecided ? null : true;
    }
    default: return null;
  }
}

/** The full evaluation, for candidates `cheap()` left undecided: content is loaded lazily. */
async function evaluate(k: SearchKey, l: Lazy, ctx: SearchContext, flags: ReadonlySet<string>): Promise<boolean> {
  const decided = cheap(k, l.c, ctx, flags);
  if (decided !== null) return decided;
  switch (k.key) {
    case 'SENTBEFORE': case 'SENTON': case 'SENTSINCE': {
      const sent = (await l.meta()).sentAtMs;
      // No (parseable) Date header: the message has no sent date and matches no SENT* key.
      return sent !== null && compareDay(dayOf(sent, ctx.tzOffsetMinutes), k.key.slice(4) as 'BEFORE' | 'ON' | 'SINCE', k.day);
    }
    case 'FROM': case 'TO': case 'CC': case 'BCC': case 'SUBJECT':
      // RFC 3501 6.4.4 defines these on the envelope, which the meta cache holds: no file read.
      return envelopeMatch(await l.meta(), k.key, k.value);
    case 'HEADER': return headerMatch(await l.headers(), k.field, k.value);
    case 'BODY': return (await l.body()).has(fold(k.value));
    case 'TEXT': {
      const n = fold(k.value);
      if (n === '') return true;
      if ((await l.headers()).some((f) => fold(`${f.name}: ${f.value}`).includes(n))) return true;
      return (await l.body()).has(n);
    }
    case 'NOT': return !(await evaluate(k.inner, l, ctx, flags));
    case 'OR': {
      const [a, b] = cost(k.left) <= cost(k.right) ? [k.left, k.right] : [k.right, k.left];
      return (await evaluate(a, l, ctx, flags)) || evaluate(b, l, ctx, flags);
    }
    case 'AND': {
      const keys = [...k.keys].sort((a, b) => cost(a) - cost(b));
      for (const x of keys) if (!(await evaluate(x, l, ctx, flags))) return false;
      return true;
    }
    default:
      // Every key cheap() answers never gets here; the rest are listed above.
      throw new Error(`search key ${k.key} left undecided`);
  }
}

/** UIDs of the candidates matching `key`, in the order given. */
export async function search(key: SearchKey, candidates: readonly SearchCandidate[], ctx: SearchContext, src: SearchSources): Promise<number[]> {
  const needles = [...bodyNeedles(key, new Set())];
  const matched = new Array<boolean>(candidates.length).fill(false);
  // First what the candidates decide alone (no I/O, no promise per message), then the rest.
  const flagsOf = candidates.map((c) => new Set(c.flags.map((f) => f.toUpperCase())));
  const undecided: number[] = [];
  candidates.forEach((c, i) => {
    const r = cheap(key, c, ctx, flagsOf[i]!);
    if (r === null) undecided.push(i);
    else matched[i] = r;
  });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < undecided.length) {
      const i = undecided[next++]!;
      const c = candidates[i]!;
      const flags = flagsOf[i]!;
      try {
        matched[i] = await evaluate(key, new Lazy(c, src, needles), ctx, flags);
      } catch (err) {
        // Expunged by another process while we searched: it matches nothing.
        if (!isTandemError(err, 'not-found')) throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, undecided.length) }, worker));
  return candidates.filter((_, i) => matched[i]).map((c) => c.uid);
}
