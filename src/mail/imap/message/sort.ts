// SORT (RFC 5256 section 3, RFC 5957 DISPLAYFROM/DISPLAYTO). Keys come from the candidate
// (ARRIVAL, SIZE) or the cached meta (the rest). Strings compare by i;ascii-casemap
// (RFC 5256's default collation); display names, which are often not ASCII, by Unicode
// lower case. Ties fall back to sequence order, which REVERSE does not turn around.
import type { Address, AddressEntry } from '../proto/envelope.ts';
import type { SortKey } from '../proto/command-types.ts';
import { isTandemError } from '../../../lib/errors.ts';
import type { MessageMeta, SearchCandidate } from './api.ts';
import { asciiCasemap } from './subject.ts';
import { decodeWords } from './charset.ts';
import { fold } from './content.ts';

export type MetaFn = (path: string, id: string) => Promise<MessageMeta>;

const PARALLEL = 8;

/** Metas of all messages (null for a file that vanished meanwhile), a few reads at a time. */
export async function loadMetas(messages: readonly SearchCandidate[], metaFn: MetaFn): Promise<Array<MessageMeta | null>> {
  const out = new Array<MessageMeta | null>(messages.length).fill(null);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < messages.length) {
      const i = next++;
      const m = messages[i]!;
      try {
        out[i] = await metaFn(m.path, m.id);
      } catch (err) {
        if (!isTandemError(err, 'not-found')) throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, messages.length) }, worker));
  return out;
}

/** The first mailbox of an address list, looking into groups. */
function firstAddress(list: readonly AddressEntry[]): Address | null {
  for (const e of list) {
    if ('group' in e) { if (e.members[0]) return e.members[0]; } else return e;
  }
  return null;
}

/** RFC 5957: the decoded display name of the first address, else its addr-spec. */
function displayOf(list: readonly AddressEntry[]): string {
  const a = firstAddress(list);
  if (a === null) return '';
  const name = a.name === null ? '' : decodeWords(a.name).trim();
  if (name !== '') return fold(name);
  return fold(a.host ? `${a.mailbox ?? ''}@${a.host}` : a.mailbox ?? '');
}

/** The SORT DATE value: the sent date in UTC, else INTERNALDATE (RFC 5256). */
export function sortDate(c: SearchCandidate, m: MessageMeta | null): number {
  return m?.sentAtMs ?? c.internalDateMs;
}

type Value = number | string;

function keyValue(key: SortKey['key'], c: SearchCandidate, m: MessageMeta | null): Value {
  switch (key) {
    case 'ARRIVAL': return c.internalDateMs;
    case 'SIZE': return c.size;
    case 'DATE': return sortDate(c, m);
    case 'SUBJECT': return asciiCasemap(m?.baseSubject ?? '');
    case 'FROM': return asciiCasemap(firstAddress(m?.envelope.from ?? [])?.mailbox ?? '');
    case 'TO': return asciiCasemap(firstAddress(m?.envelope.to ?? [])?.mailbox ?? '');
    case 'CC': return asciiCasemap(firstAddress(m?.envelope.cc ?? [])?.mailbox ?? '');
    case 'DISPLAYFROM': return displayOf(m?.envelope.from ?? []);
    case 'DISPLAYTO': return displayOf(m?.envelope.to ?? []);
  }
}

function compare(a: Value, b: Value): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** UIDs of `messages` in SORT order. */
export async function sortMessages(keys: readonly SortKey[], messages: readonly SearchCandidate[], metaFn: MetaFn): Promise<number[]> {
  const needMeta = keys.some((k) => k.key !== 'ARRIVAL' && k.key !== 'SIZE');
  const metas = needMeta ? await loadMetas(messages, metaFn) : messages.map(() => null);
  const rows = messages.map((c, i) => ({ c, values: keys.map((k) => keyValue(k.key, c, metas[i]!)) }));
  rows.sort((x, y) => {
    for (let i = 0; i < keys.length; i++) {
      const r = compare(x.values[i]!, y.values[i]!);
      if (r !== 0) return keys[i]!.reverse ? -r : r;
    }
    return x.c.seq - y.c.seq;
  });
  return rows.map((r) => r.c.uid);
}
