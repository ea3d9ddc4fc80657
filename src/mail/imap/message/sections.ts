// BODY[section] (RFC 9051 section 6.4.5) resolved against the part offsets. Pure: whole
// parts become file ranges; HEADER.FIELDS (NOT) becomes a header range plus a filter the
// caller applies to the bytes it reads.
import type { Section } from '../proto/fetch-types.ts';
import type { PartOffsets } from './api.ts';

/** What a section needs: a file range, a filtered header range, or nothing (empty string). */
export type SectionPlan =
  | { readonly kind: 'range'; readonly start: number; readonly end: number }
  | { readonly kind: 'fields'; readonly start: number; readonly end: number; readonly names: readonly string[]; readonly not: boolean }
  | { readonly kind: 'empty' };

/**
 * The entity a part number designates (RFC 9051 6.4.5): parts of a multipart count from 1,
 * a message/rfc822 part's numbers refer to the parts of the encapsulated message, and the
 * body of a non-multipart message is part 1. Null when there is no such part.
 */
export function resolvePart(root: PartOffsets, path: readonly number[]): PartOffsets | null {
  let node = root;
  for (let i = 0; i < path.length; i++) {
    const n = path[i]!;
    // Whose parts are numbered: the top-level message itself (even when its body is a
    // message/rfc822), the message a message/rfc822 part encapsulates, or a multipart part.
    const isMessage = i === 0 || node.isMessage;
    const container: PartOffsets | undefined = i === 0 ? node : node.isMessage ? node.children[0] : node;
    if (!container) return null;
    if (!container.isMessage && container.children.length > 0) {
      const child = container.children[n - 1];
      if (!child) return null;
      node = child;
    } else if (n === 1 && isMessage) node = container; // a single-part message: part 1 is its body
    else return null;
  }
  return node;
}

/** Whether a part designates a multipart (BINARY of it is not possible). */
export function isMultipart(p: PartOffsets): boolean {
  return !p.isMessage && p.children.length > 0;
}

/** Plans BODY[section] (the server applies `<start.length>`). */
export function planSection(root: PartOffsets, section: Section): SectionPlan {
  const node = resolvePart(root, section.part);
  if (node === null) return { kind: 'empty' };
  if (section.text === null) {
    return section.part.length === 0 ? { kind: 'range', start: root.headerStart, end: root.end } : { kind: 'range', start: node.bodyStart, end: node.end };
  }
  if (section.text === 'MIME') {
    // MIME is the header of a body part; BODY[MIME] of the whole message is not defined.
    return section.part.length === 0 ? { kind: 'empty' } : { kind: 'range', start: node.headerStart, end: node.bodyStart };
  }
  // HEADER, TEXT and HEADER.FIELDS apply to a message: the top level or a message/rfc822 part.
  const message = section.part.length === 0 ? node : node.isMessage ? node.children[0] : undefined;
  if (!message) return { kind: 'empty' };
  switch (section.text) {
    case 'HEADER': return { kind: 'range', start: message.headerStart, end: message.bodyStart };
    case 'TEXT': return { kind: 'range', start: message.bodyStart, end: message.end };
    case 'HEADER.FIELDS':
    case 'HEADER.FIELDS.NOT':
      return { kind: 'fields', start: message.headerStart, end: message.bodyStart, names: section.fields.map((f) => f.toUpperCase()), not: section.text === 'HEADER.FIELDS.NOT' };
  }
}

/**
 * The header lines whose field name is (or, with `not`, is not) in `names`, folded
 * continuation lines kept, line ends as in the file, then the blank line (RFC 9051 6.4.5).
 */
export function filterHeaderFields(header: Buffer, names: readonly string[], not: boolean): Buffer {
  const wanted = new Set(names.map((n) => n.toUpperCase()));
  const out: Buffer[] = [];
  let keep = false;
  let i = 0;
  while (i < header.length) {
    const nl = header.indexOf(0x0a, i);
    const stop = nl === -1 ? header.length : nl + 1;
    const line = header.subarray(i, stop);
    i = stop;
    const first = line[0];
    if (first === 0x0d || first === 0x0a) break; // the blank line ending the header
    if (first === 0x20 || first === 0x09) {
      if (keep) out.push(line);
      continue;
    }
    const colon = line.indexOf(0x3a);
    if (colon <= 0) { keep = false; continue; }
    const name = line.subarray(0, colon).toString('latin1').trim().toUpperCase();
    keep = wanted.has(name) !== not;
    if (keep) out.push(line);
  }
  // A kept last line without a line end still needs one before the blank line.
  const last = out[out.length - 1];
  if (last && last[last.length - 1] !== 0x0a) out.push(Buffer.from('\r\n'));
  out.push(Buffer.from('\r\n'));
  return Buffer.concat(out);
}
