// Decoded content of one message for SEARCH: header fields with encoded words decoded, and
// a one-pass scan of the text parts for a set of needles. Streams every part (CTE decoder,
// then charset decoder, chunk by chunk): memory is a chunk plus the longest needle.
import type { BodyStructure } from '../proto/envelope.ts';
import type { MessageMeta, PartOffsets } from './api.ts';
import { parseHeaderBlock } from './headers.ts';
import type { HeaderField } from './headers.ts';
import { readRange, streamRange } from './file.ts';
import { HEADER_CAP } from './mime-scan.ts';
import { decoderFor } from './decode.ts';
import { charsetStream, decodeWords } from './charset.ts';

/** Case-insensitive matching form: Unicode lower case of the NFC form. */
export function fold(s: string): string {
  return s.normalize('NFC').toLowerCase();
}

/** Header fields of the message with decoded values (RFC 2047 words, UTF-8 bytes). */
export async function decodedHeaders(path: string, meta: MessageMeta): Promise<HeaderField[]> {
  const raw = await readRange(path, meta.offsets.headerStart, meta.offsets.bodyStart, HEADER_CAP);
  return parseHeaderBlock(raw).map((f) => ({ ...f, value: decodeWords(f.value) }));
}

/**
 * Decoded top-level headers by Maildir id, in memory only (LRU bounded by bytes): repeated
 * header searches (FROM, SUBJECT, HEADER) then skip the file read.
 */
export class HeaderCache {
  private readonly lru = new Map<string, { fields: HeaderField[]; weight: number }>();
  private bytes = 0;
  constructor(private readonly maxBytes = 16 * 1024 * 1024) {}

  async get(path: string, id: string, meta: MessageMeta): Promise<HeaderField[]> {
    const hit = this.lru.get(id);
    if (hit) {
      this.lru.delete(id);
      this.lru.set(id, hit);
      return hit.fields;
    }
    const fields = await decodedHeaders(path, meta);
    this.remember(id, fields);
    return fields;
  }

  /** Stores the raw top-level fields a scan just parsed, so a search right after needs no read. */
  prime(id: string, raw: readonly HeaderField[]): void {
    if (!this.lru.has(id)) this.remember(id, raw.map((f) => ({ ...f, value: decodeWords(f.value) })));
  }

  private remember(id: string, fields: HeaderField[]): void {
    const weight = fields.reduce((n, f) => n + f.name.length + f.value.length * 2 + 64, 0);
    if (weight > this.maxBytes / 8) return;
    const old = this.lru.get(id);
    if (old) { this.bytes -= old.weight; this.lru.delete(id); }
    this.lru.set(id, { fields, weight });
    this.bytes += weight;
    while (this.bytes > this.maxBytes) {
      const oldest = this.lru.keys().next();
      if (oldest.done) break;
      this.bytes -= this.lru.get(oldest.value)!.weight;
      this.lru.delete(oldest.value);
    }
  }
}

interface TextLeaf { start: number; end: number; encoding: string; charset: string | null }

/** Text leaves (text/*) anywhere in the structure, encapsulated messages included. */
export function textLeaves(bs: BodyStructure, off: PartOffsets, out: TextLeaf[] = []): TextLeaf[] {
  if (bs.kind === 'multipart') {
    bs.parts.forEach((p, i) => { const o = off.children[i]; if (o) textLeaves(p, o, out); });
  } else if (bs.kind === 'message') {
    const inner = off.children[0];
    if (inner) textLeaves(bs.body, inner, out);
  } else if (bs.kind === 'text') {
    const charset = bs.fields.params.find(([k]) => k === 'CHARSET')?.[1] ?? null;
    out.push({ start: off.bodyStart, end: off.end, encoding: bs.fields.encoding, charset });
  }
  return out;
}

/**
 * Which of `needles` (already folded) occur in the decoded text parts. One pass over each
 * part; stops early when every needle was found. Unknown transfer encodings are searched raw.
 */
export async function bodyContains(path: string, meta: MessageMeta, needles: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  const pending = new Set(needles.filter((n) => n !== ''));
  for (const n of needles) if (n === '') found.add(n);
  if (pending.size === 0) return found;
  const keep = Math.max(...[...pending].map((n) => n.length)) - 1;
  for (const leaf of textLeaves(meta.bodyStructure, meta.offsets)) {
    const cte = decoderFor(leaf.encoding) ?? decoderFor('binary')!;
    const cs = charsetStream(leaf.charset);
    let tail = '';
    const look = (text: string): void => {
      if (text === '') return;
      const window = tail + fold(text);
      for (const n of pending) if (window.includes(n)) { found.add(n); pending.delete(n); }
      tail = keep > 0 ? window.slice(-keep) : '';
    };
    for await (const chunk of streamRange(path, leaf.start, leaf.end)) {
      look(cs.write(cte.write(chunk)));
      if (pending.size === 0) return found;
    }
    look(cs.write(cte.end()) + cs.end());
    if (pending.size === 0) return found;
  }
  return found;
}
