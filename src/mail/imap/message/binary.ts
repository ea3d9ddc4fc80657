// BINARY[part] and BINARY.SIZE (RFC 3516): a part with its Content-Transfer-Encoding undone.
// Identity encodings (7bit, 8bit, binary) and non-leaf parts are served as file ranges;
// base64 and quoted-printable are decoded by streaming the part. BINARY.SIZE streams and
// counts, so it holds one chunk. BINARY[] must hand the server a Buffer (SectionData), so
// the decoded part is held in memory, up to BINARY_CAP (far above the largest attachment
// a 25 MiB message can carry); beyond it the request fails with a clear error.
import { TandemError } from '../../../lib/errors.ts';
import type { BodyStructure } from '../proto/envelope.ts';
import type { MessageMeta, PartOffsets, SectionData } from './api.ts';
import { resolvePart } from './sections.ts';
import { decoderFor } from './decode.ts';
import { streamRange } from './file.ts';

export const BINARY_CAP = 64 * 1024 * 1024;

/** The BODYSTRUCTURE node a part number designates (same rules as resolvePart). */
export function resolveStructure(root: BodyStructure, path: readonly number[]): BodyStructure | null {
  let node = root;
  for (let i = 0; i < path.length; i++) {
    const n = path[i]!;
    const isMessage = i === 0 || node.kind === 'message';
    const container: BodyStructure = i === 0 ? node : node.kind === 'message' ? node.body : node;
    if (container.kind === 'multipart') {
      const child = container.parts[n - 1];
      if (!child) return null;
      node = child;
    } else if (n === 1 && isMessage) node = container;
    else return null;
  }
  return node;
}

type Target = { kind: 'empty' } | { kind: 'range'; start: number; end: number } | { kind: 'decode'; start: number; end: number; encoding: string } | { kind: 'unknown' };

function target(meta: MessageMeta, part: readonly number[]): Target {
  if (part.length === 0) return { kind: 'range', start: meta.offsets.headerStart, end: meta.offsets.end };
  const off: PartOffsets | null = resolvePart(meta.offsets, part);
  const bs = resolveStructure(meta.bodyStructure, part);
  if (off === null || bs === null) return { kind: 'empty' };
  if (bs.kind === 'multipart' || bs.kind === 'message') return { kind: 'range', start: off.bodyStart, end: off.end };
  const encoding = bs.fields.encoding.toLowerCase();
  if (encoding === '7bit' || encoding === '8bit' || encoding === 'binary') return { kind: 'range', start: off.bodyStart, end: off.end };
  if (decoderFor(encoding) === null) return { kind: 'unknown' };
  return { kind: 'decode', start: off.bodyStart, end: off.end, encoding };
}

export async function binaryData(path: string, meta: MessageMeta, part: readonly number[]): Promise<SectionData | null> {
  const t = target(meta, part);
  if (t.kind === 'unknown') return null;
  if (t.kind !== 'decode') return t;
  const decoder = decoderFor(t.encoding)!;
  const out: Buffer[] = [];
  let size = 0;
  const add = (b: Buffer): void => {
    size += b.length;
    if (size > BINARY_CAP) {
      throw new TandemError('IMAP_BINARY_TOO_LARGE', 'not-possible', `BINARY[${part.join('.')}] decodes to more than ${BINARY_CAP} octets; fetch BODY[${part.join('.')}] instead`);
    }
    if (b.length) out.push(b);
  };
  for await (const chunk of streamRange(path, t.start, t.end)) add(decoder.write(chunk));
  add(decoder.end());
  return { kind: 'bytes', data: Buffer.concat(out) };
}

export async function binarySize(path: string, meta: MessageMeta, part: readonly number[]): Promise<number | null> {
  const t = target(meta, part);
  if (t.kind === 'unknown') return null;
  if (t.kind === 'empty') return 0;
  if (t.kind === 'range') return t.end - t.start;
  const decoder = decoderFor(t.encoding)!;
  let size = 0;
  for await (const chunk of streamRange(path, t.start, t.end)) size += decoder.write(chunk).length;
  return size + decoder.end().length;
}
