// From a scanned entity tree to what FETCH sends: ENVELOPE, BODYSTRUCTURE (RFC 3501 7.4.2,
// RFC 9051 7.5.2) and the part offsets. Pure. Header values go out as sent (unfolded,
// encoded words kept), which is what the RFCs ask for ENVELOPE and BODYSTRUCTURE.
import type { BodyExtension, BodyStructure, Envelope } from '../proto/envelope.ts';
import type { MessageMeta, PartOffsets } from './api.ts';
import { headerValue, headerValues, parseStructured } from './headers.ts';
import type { HeaderField } from './headers.ts';
import { parseAddressList } from './address.ts';
import type { ScannedEntity } from './mime-scan.ts';
import { baseSubject, parseMessageDate } from './subject.ts';

export function envelopeOf(fields: readonly HeaderField[]): Envelope {
  const addr = (name: string) => parseAddressList(headerValue(fields, name));
  return {
    date: headerValue(fields, 'Date'),
    subject: headerValue(fields, 'Subject'),
    from: addr('From'),
    sender: addr('Sender'),
    replyTo: addr('Reply-To'),
    to: addr('To'),
    cc: addr('Cc'),
    bcc: addr('Bcc'),
    inReplyTo: headerValue(fields, 'In-Reply-To'),
    messageId: headerValue(fields, 'Message-ID'),
  };
}

function extensionOf(fields: readonly HeaderField[]): BodyExtension {
  const dispRaw = headerValue(fields, 'Content-Disposition');
  const disp = dispRaw === null ? null : parseStructured(dispRaw);
  const lang = headerValue(fields, 'Content-Language');
  const languages = lang === null ? null : lang.split(',').map((l) => l.replace(/\([^)]*\)/g, '').trim()).filter((l) => l !== '');
  const location = headerValue(fields, 'Content-Location');
  return {
    md5: headerValue(fields, 'Content-MD5'),
    disposition: disp === null || disp.value === '' ? null : { type: disp.value, params: disp.params },
    language: languages === null || languages.length === 0 ? null : languages,
    location: location === null ? null : location.replace(/[ \t]+/g, ''),
  };
}

/** Content-Transfer-Encoding as sent (the formatter upper-cases it). */
function encodingOf(e: ScannedEntity): string {
  return e.encoding;
}

export function bodyStructureOf(e: ScannedEntity): BodyStructure {
  const ext = extensionOf(e.fields);
  if (e.kind === 'multipart') {
    const subtype = e.contentType.value.split('/')[1]!;
    return { kind: 'multipart', subtype, parts: e.children.map(bodyStructureOf), params: e.contentType.params, ext };
  }
  const fields = {
    params: e.contentType.params,
    id: headerValue(e.fields, 'Content-ID'),
    description: headerValue(e.fields, 'Content-Description'),
    encoding: encodingOf(e),
    size: e.end - e.bodyStart,
  };
  if (e.kind === 'opaque') {
    // Nested too deep or without a boundary: served as an opaque attachment.
    return { kind: 'basic', type: 'application', subtype: 'octet-stream', fields: { ...fields, params: [] }, ext };
  }
  const [type, subtype] = e.contentType.value.split('/') as [string, string];
  if (e.kind === 'message' && e.children[0]) {
    const inner = e.children[0];
    return { kind: 'message', subtype, fields, envelope: envelopeOf(inner.fields), body: bodyStructureOf(inner), lines: e.lines, ext };
  }
  if (type === 'text') {
    const params = e.contentType.params.some(([k]) => k === 'CHARSET') ? e.contentType.params : [...e.contentType.params, ['CHARSET', 'US-ASCII'] as const];
    return { kind: 'text', subtype, fields: { ...fields, params }, lines: e.lines, ext };
  }
  return { kind: 'basic', type, subtype, fields, ext };
}

export function offsetsOf(e: ScannedEntity): PartOffsets {
  return { headerStart: e.headerStart, bodyStart: e.bodyStart, end: e.end, children: e.children.map(offsetsOf), isMessage: e.kind === 'message' };
}

/** Message ids (`<...>`) in a References or In-Reply-To value, in order. */
export function messageIds(value: string | null): string[] {
  if (value === null) return [];
  return [...value.replace(/\([^()]*\)/g, ' ').matchAll(/<([^<>\s]+)>/g)].map((m) => `<${m[1]}>`);
}

/** The References chain of RFC 5256 section 3 (References, else the first In-Reply-To id). */
export function referencesOf(fields: readonly HeaderField[]): string[] {
  const refs = headerValues(fields, 'References').flatMap(messageIds);
  if (refs.length > 0) return refs;
  return messageIds(headerValue(fields, 'In-Reply-To')).slice(0, 1);
}

/** Everything FETCH, SORT and THREAD need, from the scanned top-level entity. */
export function metaOf(root: ScannedEntity): MessageMeta {
  return {
    envelope: envelopeOf(root.fields),
    bodyStructure: bodyStructureOf(root),
    offsets: offsetsOf(root),
    sentAtMs: parseMessageDate(headerValue(root.fields, 'Date')),
    baseSubject: baseSubject(headerValue(root.fields, 'Subject')),
    references: referencesOf(root.fields),
  };
}
