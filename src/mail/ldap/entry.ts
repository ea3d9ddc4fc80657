// A directory entry as the address book serves it: a DN and attributes by lower-case
// name (keeping the spelling to send back). Pure data; built by tree.ts.
import { dnKey, formatDn, type Dn } from './dn.ts';

export interface Attribute {
  readonly name: string;
  readonly values: string[];
  /** The values normalised for matching (filter.ts normalizeValue), computed once. */
  readonly normalized: string[];
}

export interface Entry {
  readonly dn: Dn;
  /** dnKey(dn), computed once: scope checks compare strings. */
  readonly key: string;
  /** dnKey of every ancestor (not of the entry itself). */
  readonly ancestors: ReadonlySet<string>;
  /** Keyed by lower-case attribute name. */
  readonly attributes: ReadonlyMap<string, Attribute>;
  /** Operational attributes (root DSE): returned only when asked for by name or "+". */
  readonly operational?: ReadonlySet<string>;
}

export function makeEntry(dn: Dn, attrs: Record<string, string | string[] | undefined>, operational?: string[]): Entry {
  const attributes = new Map<string, Attribute>();
  for (const [name, v] of Object.entries(attrs)) {
    const values = (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x) => x !== '');
    if (values.length > 0) attributes.set(name.toLowerCase(), { name, values, normalized: values.map(normalizeValue) });
  }
  const ancestors = new Set<string>();
  for (let i = 1; i < dn.length; i++) ancestors.add(dnKey(dn.slice(i)));
  return { dn, key: dnKey(dn), ancestors, attributes, operational: operational ? new Set(operational.map((a) => a.toLowerCase())) : undefined };
}

/** Normalises for caseIgnoreMatch: lower case, runs of spaces folded, ends trimmed (RFC 4518 in short). */
export function normalizeValue(v: string): string {
  return v.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** The wire form the server adapter sends: DN string and attributes to send. */
export interface EntryView { readonly dn: string; readonly attributes: Record<string, string[]> }

/**
 * Attribute selection (RFC 4511 section 4.5.1.8): none or "*" means every user
 * attribute, "1.1" means none, "+" adds the operational ones; names are
 * case-insensitive; typesOnly sends names without values.
 */
export function selectAttributes(entry: Entry, requested: readonly string[], typesOnly: boolean): EntryView {
  const wanted = requested.map((a) => a.toLowerCase()).filter((a) => a !== '1.1');
  const noneAsked = requested.length === 0 || (wanted.length === 0 && !requested.includes('1.1'));
  const all = noneAsked || wanted.includes('*');
  const ops = wanted.includes('+');
  const out: Record<string, string[]> = {};
  for (const [key, attr] of entry.attributes) {
    const isOperational = entry.operational?.has(key) ?? false;
    const include = wanted.includes(key) || (isOperational ? ops : all);
    if (include) out[attr.name] = typesOnly ? [] : [...attr.values];
  }
  return { dn: formatDn(entry.dn), attributes: out };
}
