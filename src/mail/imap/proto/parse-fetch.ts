// FETCH data items and modifiers (RFC 3501 section 6.4.5, RFC 9051 section 6.4.5, RFC 3516,
// RFC 7162 CHANGEDSINCE/VANISHED). Pure; malformed input raises ArgError for parseCommand.
import { ArgError, toNumber } from './args.ts';
import type { Args } from './args.ts';
import { tokenize } from './tokens.ts';
import type { FetchAtt, Section, SectionText, SimpleFetchItem, Partial } from './fetch-types.ts';

const SIMPLE = new Set<SimpleFetchItem>([
  'UID', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY', 'BODYSTRUCTURE', 'MODSEQ',
  'RFC822', 'RFC822.HEADER', 'RFC822.TEXT',
]);

/** Macros (RFC 3501 section 6.4.5); RFC 9051 keeps them. */
const MACROS: Record<string, SimpleFetchItem[]> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};

const ITEM = /^(BODY\.PEEK|BODY|BINARY\.PEEK|BINARY\.SIZE|BINARY)\[([^\]]*)\](?:<(\d+)(?:\.(\d+))?>)?$/i;

/** Parses one fetch-att text such as `BODY.PEEK[1.2.HEADER.FIELDS (From To)]<0.100>`. */
export function parseFetchAtt(text: string): FetchAtt {
  const upper = text.toUpperCase();
  if (SIMPLE.has(upper as SimpleFetchItem)) return { item: upper as SimpleFetchItem };
  const m = ITEM.exec(text);
  if (!m) throw new ArgError(`FETCH: unknown data item "${text}"`);
  const kind = m[1]!.toUpperCase();
  const partial = parsePartial(m[3], m[4]);
  if (kind === 'BODY' || kind === 'BODY.PEEK') {
    return { item: 'BODY[]', peek: kind === 'BODY.PEEK', section: parseSection(m[2]!), partial };
  }
  const part = parsePart(m[2]!);
  if (kind === 'BINARY.SIZE') {
    if (partial) throw new ArgError('FETCH: BINARY.SIZE takes no partial');
    return { item: 'BINARY.SIZE', part };
  }
  return { item: 'BINARY[]', peek: kind === 'BINARY.PEEK', part, partial };
}

function parsePartial(start: string | undefined, length: string | undefined): Partial | null {
  if (start === undefined) return null;
  // RFC 9051 section 6.4.5: the partial needs both origin and length (`<0.100>`).
  if (length === undefined) throw new ArgError('FETCH: partial must be <origin.length>');
  const len = toNumber(length, 'FETCH', 'partial length', 0xffffffff);
  if (len === 0) throw new ArgError('FETCH: partial length must be positive');
  return { start: toNumber(start, 'FETCH', 'partial origin', 0xffffffff), length: len };
}

function parsePart(text: string): number[] {
  if (text === '') return [];
  const nums = text.split('.');
  if (!nums.every((n) => /^[1-9]\d{0,8}$/.test(n))) throw new ArgError(`FETCH: invalid part number "${text}"`);
  return nums.map(Number);
}

/** `section-spec` (RFC 3501 section 9): part numbers then an optional section-text. */
export function parseSection(spec: string): Section {
  const m = /^((?:\d+\.)*\d+)(?:\.(.+))?$/s.exec(spec);
  const partText = m ? m[1]! : '';
  let rest = m ? m[2] ?? '' : spec;
  const part = parsePart(partText);
  rest = rest.trim();
  if (rest === '') return { part, text: null, fields: [] };
  const fm = /^(HEADER\.FIELDS(?:\.NOT)?)\s+(\(.*\))$/is.exec(rest);
  if (fm) {
    const fields = parseFieldList(fm[2]!);
    return { part, text: fm[1]!.toUpperCase() as SectionText, fields };
  }
  const text = rest.toUpperCase();
  if (text !== 'HEADER' && text !== 'TEXT' && text !== 'MIME') throw new ArgError(`FETCH: invalid section text "${rest}"`);
  // MIME applies to a part, not to the whole message (RFC 3501 section 6.4.5).
  if (text === 'MIME' && part.length === 0) throw new ArgError('FETCH: MIME needs a part number');
  return { part, text, fields: [] };
}

function parseFieldList(list: string): string[] {
  const r = tokenize([{ kind: 'line', text: list }], { maxDepth: 2, maxTokens: 1000 });
  const only = r.ok ? r.tokens[0] : undefined;
  if (!r.ok || r.tokens.length !== 1 || !only || only.type !== 'list' || only.items.length === 0) {
    throw new ArgError('FETCH: HEADER.FIELDS needs a non-empty list of field names');
  }
  return only.items.map((t) => {
    if (t.type !== 'atom' && t.type !== 'quoted') throw new ArgError('FETCH: field names must be strings');
    return t.value.toUpperCase();
  });
}

/** The fetch items of a FETCH command: a macro, one item or a list (RFC 3501 section 6.4.5). */
export function parseFetchItems(args: Args): FetchAtt[] {
  const t = args.peek();
  if (t && t.type === 'atom' && MACROS[t.value.toUpperCase()]) {
    args.next('items');
    return MACROS[t.value.toUpperCase()]!.map((item) => ({ item }));
  }
  const list = args.listOrSingle('data items');
  const out: FetchAtt[] = [];
  while (!list.atEnd) out.push(parseFetchAtt(list.atom('data item', false)));
  if (out.length === 0) throw new ArgError('FETCH: empty data item list');
  return out;
}

/** FETCH modifiers (RFC 7162 section 3.1.4 CHANGEDSINCE, section 3.2.6 VANISHED). */
export function parseFetchModifiers(args: Args): { changedSince: bigint | null; vanished: boolean } {
  let changedSince: bigint | null = null;
  let vanished = false;
  if (args.atEnd) return { changedSince, vanished };
  const mods = args.list('fetch modifiers');
  while (!mods.atEnd) {
    const name = mods.atom('modifier');
    if (name === 'CHANGEDSINCE') changedSince = mods.modseq();
    else if (name === 'VANISHED') vanished = true;
    else throw new ArgError(`FETCH: unknown modifier ${name}`);
  }
  if (vanished && changedSince === null) throw new ArgError('FETCH: VANISHED needs CHANGEDSINCE');
  return { changedSince, vanished };
}

/** The label a FETCH response uses for an item: `BODY[1.2.HEADER.FIELDS (FROM TO)]<0>`. */
export function fetchAttLabel(att: FetchAtt): string {
  if (att.item === 'BODY[]') {
    const s = att.section;
    const parts = [s.part.join('.'), s.text ?? ''].filter((x) => x !== '').join('.');
    const fields = s.fields.length ? ` (${s.fields.join(' ')})` : '';
    return `BODY[${parts}${fields}]${att.partial ? `<${att.partial.start}>` : ''}`;
  }
  if (att.item === 'BINARY[]') return `BINARY[${att.part.join('.')}]${att.partial ? `<${att.partial.start}>` : ''}`;
  if (att.item === 'BINARY.SIZE') return `BINARY.SIZE[${att.part.join('.')}]`;
  return att.item;
}
