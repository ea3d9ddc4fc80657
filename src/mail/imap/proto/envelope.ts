// ENVELOPE and BODY/BODYSTRUCTURE types and their serialisation (RFC 3501 section 7.4.2,
// RFC 9051 section 7.5.2). Filled from parsed MIME by the store; no parsing here.
import { atom } from './format.ts';
import type { ImapValue } from './format.ts';

export interface Address {
  readonly name: string | null;
  /** Source route; obsolete, almost always null. */
  readonly adl?: string | null;
  readonly mailbox: string | null;
  readonly host: string | null;
}
/** RFC 2822 group syntax: `undisclosed-recipients:;`. */
export interface AddressGroup { readonly group: string; readonly members: readonly Address[] }
export type AddressEntry = Address | AddressGroup;

export interface Envelope {
  readonly date: string | null;
  readonly subject: string | null;
  readonly from: readonly AddressEntry[];
  /** Empty sender/replyTo default to `from` when serialised (RFC 3501 section 7.4.2). */
  readonly sender: readonly AddressEntry[];
  readonly replyTo: readonly AddressEntry[];
  readonly to: readonly AddressEntry[];
  readonly cc: readonly AddressEntry[];
  readonly bcc: readonly AddressEntry[];
  readonly inReplyTo: string | null;
  readonly messageId: string | null;
}

export interface BodyFields {
  /** Content-Type parameters in order, e.g. [['CHARSET', 'UTF-8']]. */
  readonly params: ReadonlyArray<readonly [string, string]>;
  readonly id: string | null;
  readonly description: string | null;
  readonly encoding: string;
  /** Size in octets of the body as transferred (encoded). */
  readonly size: number;
}

/** Extension data of BODYSTRUCTURE; BODY omits it. */
export interface BodyExtension {
  readonly md5?: string | null;
  readonly disposition: { readonly type: string; readonly params: ReadonlyArray<readonly [string, string]> } | null;
  readonly language: readonly string[] | null;
  readonly location: string | null;
}

export type BodyStructure =
  | { readonly kind: 'basic'; readonly type: string; readonly subtype: string; readonly fields: BodyFields; readonly ext: BodyExtension }
  | { readonly kind: 'text'; readonly subtype: string; readonly fields: BodyFields; readonly lines: number; readonly ext: BodyExtension }
  | { readonly kind: 'message'; readonly subtype: string; readonly fields: BodyFields; readonly envelope: Envelope; readonly body: BodyStructure; readonly lines: number; readonly ext: BodyExtension }
  | { readonly kind: 'multipart'; readonly subtype: string; readonly parts: readonly BodyStructure[]; readonly params: ReadonlyArray<readonly [string, string]>; readonly ext: BodyExtension };

function addressValue(a: Address): ImapValue {
  return [a.name, a.adl ?? null, a.mailbox, a.host];
}

/** An address list; groups become `(NIL NIL group NIL) members (NIL NIL NIL NIL)` (RFC 3501 7.4.2). */
export function addressListValue(list: readonly AddressEntry[]): ImapValue {
  if (list.length === 0) return null;
  const out: ImapValue[] = [];
  for (const e of list) {
    if ('group' in e) {
      out.push([null, null, e.group, null], ...e.members.map(addressValue), [null, null, null, null]);
    } else out.push(addressValue(e));
  }
  return out;
}

export function envelopeValue(e: Envelope): ImapValue {
  const sender = e.sender.length ? e.sender : e.from;
  const replyTo = e.replyTo.length ? e.replyTo : e.from;
  return [
    e.date, e.subject, addressListValue(e.from), addressListValue(sender), addressListValue(replyTo),
    addressListValue(e.to), addressListValue(e.cc), addressListValue(e.bcc), e.inReplyTo, e.messageId,
  ];
}

function paramsValue(params: ReadonlyArray<readonly [string, string]>): ImapValue {
  return params.length ? params.flatMap(([k, v]) => [k, v]) : null;
}

function extValue(ext: BodyExtension): ImapValue[] {
  const dsp = ext.disposition ? [ext.disposition.type, paramsValue(ext.disposition.params)] : null;
  const lang = ext.language === null ? null : ext.language.length === 1 ? ext.language[0]! : [...ext.language];
  return [dsp, lang, ext.location];
}

/**
 * BODY (extended false) or BODYSTRUCTURE (extended true) of a message (RFC 3501 section 7.4.2).
 * @example formatValue(bodyStructureValue(textPart, false)) // ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92)
 */
export function bodyStructureValue(b: BodyStructure, extended: boolean): ImapValue {
  if (b.kind === 'multipart') {
    const parts = b.parts.map((p) => bodyStructureValue(p, extended));
    if (parts.length === 0) throw new Error('multipart body without parts');
    const head: ImapValue[] = [...parts, b.subtype.toUpperCase()];
    return extended ? [...head, paramsValue(b.params), ...extValue(b.ext)] : head;
  }
  const f = b.fields;
  const type = b.kind === 'text' ? 'TEXT' : b.kind === 'message' ? 'MESSAGE' : b.type.toUpperCase();
  const basic: ImapValue[] = [type, b.subtype.toUpperCase(), paramsValue(f.params), f.id, f.description, f.encoding.toUpperCase(), f.size];
  if (b.kind === 'text') basic.push(b.lines);
  if (b.kind === 'message') basic.push(envelopeValue(b.envelope), bodyStructureValue(b.body, extended), b.lines);
  return extended ? [...basic, b.ext.md5 ?? null, ...extValue(b.ext)] : basic;
}

/** Flags as atoms for a FLAGS list: `(\Seen $Forwarded)`. */
export function flagsValue(flags: readonly string[]): ImapValue {
  return flags.map(atom);
}
