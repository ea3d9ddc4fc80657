// What the message list shows of each message (from, subject, date), read from the
// header block only and cached by Maildir id: a message file never changes after
// delivery, so an entry never goes stale. The cache is bounded (oldest out first).
import { open } from 'node:fs/promises';
import libmime from 'libmime';
import addressparser from 'nodemailer/lib/addressparser';

export interface Summary {
  readonly from: string;
  readonly fromAddress: string;
  readonly to: string;
  readonly subject: string;
  /** The Date: header in ms, or null. */
  readonly date: number | null;
  readonly messageId: string;
  readonly hasAttachments: boolean;
}

/** Header blocks longer than this are cut: the list needs only the first few fields. */
const HEAD_BYTES = 32 * 1024;

function decode(value: string): string {
  try {
    return libmime.decodeWords(value).replace(/[\r\n\t]+/g, ' ').trim();
  } catch {
    return value.trim();
  }
}

/** Unfolds a header block into lowercase name -> first value. */
export function parseHeaderBlock(head: string): Map<string, string> {
  const end = head.search(/\r?\n\r?\n/);
  const block = end >= 0 ? head.slice(0, end) : head;
  const fields = new Map<string, string>();
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!fields.has(name)) fields.set(name, line.slice(colon + 1).trim());
  }
  return fields;
}

export function summarize(head: string): Summary {
  const h = parseHeaderBlock(head);
  const fromList = addressparser(h.get('from') ?? '', { flatten: true });
  const first = fromList[0];
  const fromAddress = first && 'address' in first ? first.address ?? '' : '';
  const fromName = first ? decode(first.name ?? '') : '';
  const date = h.has('date') ? Date.parse(h.get('date')!.replace(/\s*\([^)]*\)\s*$/, '')) : NaN;
  const type = (h.get('content-type') ?? '').toLowerCase();
  return {
    from: fromName || fromAddress || decode(h.get('from') ?? ''),
    fromAddress,
    to: decode(h.get('to') ?? ''),
    subject: decode(h.get('subject') ?? ''),
    date: Number.isFinite(date) ? date : null,
    messageId: (h.get('message-id') ?? '').trim(),
    hasAttachments: type.startsWith('multipart/mixed'),
  };
}

export class SummaryCache {
  private readonly entries = new Map<string, Summary>();

  constructor(private readonly maxEntries = 200_000) {}

  async get(path: string, id: string): Promise<Summary> {
    const hit = this.entries.get(id);
    if (hit) return hit;
    const fh = await open(path, 'r');
    let head: string;
    try {
      const buf = Buffer.alloc(HEAD_BYTES);
      const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
      head = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
    const s = summarize(head);
    this.entries.set(id, s);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return s;
  }
}
