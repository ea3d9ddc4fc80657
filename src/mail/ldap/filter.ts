// Search filters (RFC 4511 section 4.5.1) as our own data type, and their evaluation
// against an entry. Pure: the server adapter converts the library's filter objects into
// this type. Matching is case-insensitive for every attribute (all of ours are
// directoryString/IA5String with caseIgnoreMatch), so "(mail=ALICE*)" finds alice.
import { normalizeValue, type Entry } from './entry.ts';

export { normalizeValue };

export type Filter =
  | { kind: 'and'; filters: Filter[] }
  | { kind: 'or'; filters: Filter[] }
  | { kind: 'not'; filter: Filter }
  | { kind: 'equal'; attribute: string; value: string }
  | { kind: 'present'; attribute: string }
  | { kind: 'substrings'; attribute: string; initial?: string; any: string[]; final?: string }
  | { kind: 'greater-or-equal'; attribute: string; value: string }
  | { kind: 'less-or-equal'; attribute: string; value: string }
  | { kind: 'approx'; attribute: string; value: string }
  /** Extensible matches and anything else we do not evaluate: Undefined, so no match. */
  | { kind: 'unsupported'; what: string };

/** The normalised values of an attribute (precomputed in the entry). */
function valuesOf(entry: Entry, attribute: string): string[] {
  return entry.attributes.get(attribute.toLowerCase())?.normalized ?? [];
}

/**
 * Three-valued logic (RFC 4511 4.5.1.7): a filter is TRUE, FALSE or Undefined; only
 * TRUE returns the entry. NOT of Undefined stays Undefined, so "(!(foo=x))" on an
 * unknown attribute does not suddenly match everything.
 */
type Tri = true | false | undefined;

function evaluate(filter: Filter, entry: Entry): Tri {
  switch (filter.kind) {
    case 'and': {
      let result: Tri = true;
      for (const f of filter.filters) {
        const r = evaluate(f, entry);
        if (r === false) return false;
        if (r === undefined) result = undefined;
      }
      return result;
    }
    case 'or': {
      let result: Tri = false;
      for (const f of filter.filters) {
        const r = evaluate(f, entry);
        if (r === true) return true;
        if (r === undefined) result = undefined;
      }
      return result;
    }
    case 'not': {
      const r = evaluate(filter.filter, entry);
      return r === undefined ? undefined : !r;
    }
    case 'present':
      return filter.attribute.toLowerCase() === 'objectclass' || valuesOf(entry, filter.attribute).length > 0;
    case 'equal':
    case 'approx': {
      if (filter.attribute.toLowerCase() === 'anr') return matchesAnr(filter.value, entry);
      const want = normalizeValue(filter.value);
      return valuesOf(entry, filter.attribute).some((v) => v === want);
    }
    case 'substrings':
      return valuesOf(entry, filter.attribute).some((v) => matchesSubstrings(v, filter));
    case 'greater-or-equal': {
      const want = normalizeValue(filter.value);
      return valuesOf(entry, filter.attribute).some((v) => v >= want);
    }
    case 'less-or-equal': {
      const want = normalizeValue(filter.value);
      return valuesOf(entry, filter.attribute).some((v) => v <= want);
    }
    case 'unsupported':
      return undefined;
  }
}

/**
 * Ambiguous name resolution (Outlook's "(anr=text)"): a prefix of any of the naming
 * attributes, like Active Directory does, so the Outlook address book finds people.
 */
const ANR_ATTRIBUTES = ['cn', 'sn', 'givenname', 'displayname', 'mail', 'uid'];
function matchesAnr(value: string, entry: Entry): boolean {
  const want = normalizeValue(value);
  if (want === '') return false;
  return ANR_ATTRIBUTES.some((a) => valuesOf(entry, a).some((v) => v.startsWith(want)));
}

function matchesSubstrings(value: string, f: { initial?: string; any: string[]; final?: string }): boolean {
  let pos = 0;
  if (f.initial) {
    const init = normalizeValue(f.initial);
    if (!value.startsWith(init)) return false;
    pos = init.length;
  }
  for (const part of f.any) {
    const p = normalizeValue(part);
    if (p === '') continue;
    const at = value.indexOf(p, pos);
    if (at < 0) return false;
    pos = at + p.length;
  }
  if (f.final) {
    const fin = normalizeValue(f.final);
    return value.length - fin.length >= pos && value.endsWith(fin);
  }
  return true;
}

/** True when the filter is TRUE for the entry. */
export function matchesFilter(filter: Filter, entry: Entry): boolean {
  return evaluate(filter, entry) === true;
}

/** How deep a filter nests; the adapter refuses absurd nesting before evaluating. */
export function filterDepth(filter: Filter): number {
  switch (filter.kind) {
    case 'and':
    case 'or':
      return 1 + Math.max(0, ...filter.filters.map(filterDepth));
    case 'not':
      return 1 + filterDepth(filter.filter);
    default:
      return 1;
  }
}
