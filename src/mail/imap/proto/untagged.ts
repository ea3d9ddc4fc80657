// Builders for untagged data responses (RFC 9051 section 7: LIST, STATUS, ESEARCH, FETCH,
// VANISHED, QUOTA...). Each returns the bytes of one `* ...` line. Pure.
import { atom } from './format.ts';
import type { FormatOptions, ImapValue } from './format.ts';
import { DEFAULT_FORMAT } from './format.ts';
import { formatUntagged } from './response.ts';
import { flagsValue } from './envelope.ts';
import type { StatusItem } from './command-types.ts';

type Out = Buffer;

/** `* CAPABILITY ...` (RFC 9051 7.2.2). */
export const capabilityResponse = (caps: readonly string[]): Out => formatUntagged([atom('CAPABILITY'), ...caps.map(atom)]);

/** `* ENABLED ...` (RFC 5161 section 3.2). */
export const enabledResponse = (caps: readonly string[]): Out => formatUntagged([atom('ENABLED'), ...caps.map(atom)]);

/** `* n EXISTS`, `* n EXPUNGE`, `* n RECENT` (RFC 9051 7.4). */
export const countResponse = (n: number, what: 'EXISTS' | 'EXPUNGE' | 'RECENT'): Out => formatUntagged([n, atom(what)]);

/** `* FLAGS (...)` (RFC 9051 7.3.5). */
export const flagsResponse = (flags: readonly string[]): Out => formatUntagged([atom('FLAGS'), flagsValue(flags)]);

/** `* LIST (attrs) "/" name [("CHILDINFO" ("SUBSCRIBED"))]` (RFC 9051 7.3.1, RFC 5258 3.5). `name` is already wire-encoded. */
export function listResponse(kind: 'LIST' | 'LSUB', attributes: readonly string[], separator: string, name: string, childInfo = false, opts: FormatOptions = DEFAULT_FORMAT): Out {
  const values: ImapValue[] = [atom(kind), attributes.map(atom), separator, name];
  if (childInfo) values.push([atom('CHILDINFO'), ['SUBSCRIBED']]);
  return formatUntagged(values, opts);
}

/** `* STATUS name (MESSAGES 231 UIDNEXT 44292)` (RFC 9051 7.3.2). */
export function statusResponse(name: string, values: ReadonlyArray<readonly [StatusItem, number | bigint]>, opts: FormatOptions = DEFAULT_FORMAT): Out {
  return formatUntagged([atom('STATUS'), name, values.flatMap(([k, v]) => [atom(k), v])], opts);
}

/** `* SEARCH 2 84 882` (RFC 3501 7.2.5), with `(MODSEQ n)` for CONDSTORE (RFC 7162 3.1.5). */
export function searchResponse(numbers: readonly number[], highestModseq: bigint | null = null): Out {
  const values: ImapValue[] = [atom('SEARCH'), ...numbers];
  if (highestModseq !== null && numbers.length) values.push([atom('MODSEQ'), highestModseq]);
  return formatUntagged(values);
}

export interface EsearchResult {
  readonly min?: number;
  readonly max?: number;
  /** Already compressed with formatSequenceSet. */
  readonly all?: string;
  readonly count?: number;
  readonly modseq?: bigint;
}

/** `* ESEARCH (TAG "a") UID MIN 2 COUNT 3` (RFC 4731 section 3.1, RFC 9051 7.3.4). */
export function esearchResponse(tag: string, uid: boolean, r: EsearchResult): Out {
  const values: ImapValue[] = [atom('ESEARCH'), [atom('TAG'), tag]];
  if (uid) values.push(atom('UID'));
  if (r.min !== undefined) values.push(atom('MIN'), r.min);
  if (r.max !== undefined) values.push(atom('MAX'), r.max);
  if (r.all !== undefined && r.all !== '') values.push(atom('ALL'), atom(r.all));
  if (r.count !== undefined) values.push(atom('COUNT'), r.count);
  if (r.modseq !== undefined) values.push(atom('MODSEQ'), r.modseq);
  return formatUntagged(values);
}

/**
 * `* 12 FETCH (UID 4827313 FLAGS (\Seen) BODY[] {n}...)` (RFC 9051 7.5.2). Pairs are a label
 * (use fetchAttLabel) and a value; body data as a Buffer goes as a literal when needed.
 */
export function fetchResponse(seq: number, pairs: ReadonlyArray<readonly [string, ImapValue]>, opts: FormatOptions = DEFAULT_FORMAT): Out {
  return formatUntagged([seq, atom('FETCH'), pairs.flatMap(([label, value]) => [atom(label), value])], opts);
}

/** `* VANISHED (EARLIER) 300:310,405` (RFC 7162 section 3.2.10). `uids` is a compressed set. */
export function vanishedResponse(uids: string, earlier: boolean): Out {
  return formatUntagged(earlier ? [atom('VANISHED'), [atom('EARLIER')], atom(uids)] : [atom('VANISHED'), atom(uids)]);
}

/** `* QUOTA "" (STORAGE 10 512)` (RFC 9208 section 5.1). Usage and limit in the resource's unit (KiB for STORAGE). */
export function quotaResponse(root: string, resources: ReadonlyArray<{ readonly name: string; readonly usage: number; readonly limit: number }>): Out {
  return formatUntagged([atom('QUOTA'), root, resources.flatMap((r) => [atom(r.name), r.usage, r.limit])]);
}

/** `* QUOTAROOT INBOX ""` (RFC 9208 section 5.2). */
export function quotaRootResponse(mailbox: string, roots: readonly string[], opts: FormatOptions = DEFAULT_FORMAT): Out {
  return formatUntagged([atom('QUOTAROOT'), mailbox, ...roots], opts);
}

/** `* NAMESPACE (("" "/")) NIL NIL` (RFC 2342, RFC 9051 7.3.3): one personal namespace. */
export const namespaceResponse = (separator: string): Out => formatUntagged([atom('NAMESPACE'), [['', separator]], null, null]);

/** `* ID ("name" "Tandem")` or `* ID NIL` (RFC 2971 section 3.2). */
export function idResponse(params: ReadonlyArray<readonly [string, string | null]> | null): Out {
  return formatUntagged([atom('ID'), params && params.length ? params.flatMap(([k, v]) => [k, v]) : null]);
}
