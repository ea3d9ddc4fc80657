// Sequence sets (RFC 3501 section 9 `sequence-set`, RFC 5182 `$`): parse, expand, test, format.
// Pure; `*` means the largest number in use, resolved against `max` when expanded.

export type SeqNumber = number | '*';
export interface SeqRange { readonly start: SeqNumber; readonly end: SeqNumber }
export type SequenceSet =
  | { readonly kind: 'ranges'; readonly ranges: readonly SeqRange[] }
  /** `$`: the saved result of the last SEARCH RETURN (SAVE) (RFC 5182). */
  | { readonly kind: 'saved' };

const NUMBER = /^[1-9]\d{0,9}$/;

function parseNumber(s: string): SeqNumber | null {
  if (s === '*') return '*';
  if (!NUMBER.test(s)) return null;
  const n = Number(s);
  return n <= 0xffffffff ? n : null;
}

/** Parses `1:4,7,9:*` or `$`; null when malformed. */
export function parseSequenceSet(text: string): SequenceSet | null {
  if (text === '$') return { kind: 'saved' };
  if (text === '') return null;
  const ranges: SeqRange[] = [];
  for (const piece of text.split(',')) {
    const [a, b, extra] = piece.split(':');
    if (extra !== undefined || a === undefined) return null;
    const start = parseNumber(a);
    const end = b === undefined ? start : parseNumber(b);
    if (start === null || end === null) return null;
    ranges.push({ start, end });
  }
  return { kind: 'ranges', ranges };
}

function resolve(n: SeqNumber, max: number): number {
  return n === '*' ? max : n;
}

/**
 * The numbers of `set` that exist in 1..max, ascending and unique. `4:2` is `2:4`; `*` is
 * `max` (RFC 3501 section 9). `$` expands to `saved` (empty when nothing is saved).
 * @example expandSequenceSet(parseSequenceSet('2:4,*')!, 10) // [2, 3, 4, 10]
 */
export function expandSequenceSet(set: SequenceSet, max: number, saved: readonly number[] = []): number[] {
  if (set.kind === 'saved') return [...new Set(saved.filter((n) => n >= 1 && n <= max))].sort((a, b) => a - b);
  const seen = new Set<number>();
  for (const r of set.ranges) {
    if (max === 0) break;
    let lo = resolve(r.start, max);
    let hi = resolve(r.end, max);
    if (lo > hi) [lo, hi] = [hi, lo];
    for (let n = Math.max(1, lo); n <= Math.min(hi, max); n++) seen.add(n);
  }
  return [...seen].sort((a, b) => a - b);
}

/** Whether `n` is in `set` (for UID sets, pass the highest UID as `max`). */
export function sequenceContains(set: SequenceSet, n: number, max: number, saved: readonly number[] = []): boolean {
  if (set.kind === 'saved') return saved.includes(n);
  return set.ranges.some((r) => {
    let lo = resolve(r.start, max);
    let hi = resolve(r.end, max);
    if (lo > hi) [lo, hi] = [hi, lo];
    return n >= lo && n <= hi;
  });
}

/**
 * Compresses numbers into the shortest set text, for COPYUID, APPENDUID and VANISHED.
 * @example formatSequenceSet([1, 2, 3, 7]) // '1:3,7'
 */
export function formatSequenceSet(numbers: readonly number[], sort = true): string {
  const list = sort ? [...new Set(numbers)].sort((a, b) => a - b) : [...numbers];
  const out: string[] = [];
  for (let i = 0; i < list.length; ) {
    let j = i;
    while (j + 1 < list.length && list[j + 1] === list[j]! + 1) j++;
    out.push(i === j ? `${list[i]}` : `${list[i]}:${list[j]}`);
    i = j + 1;
  }
  return out.join(',');
}
