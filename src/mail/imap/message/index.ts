// The IMAP message layer (api.ts): content-derived data for FETCH, SEARCH, SORT and THREAD.
// One per process; it owns the meta cache under the volume's index/imap-meta/.
import { join } from 'node:path';
import type { VolumeLayout } from '../../core/volume.ts';
import type { Section } from '../proto/fetch-types.ts';
import type { MessageLayer, MessageMeta, SectionData } from './api.ts';
import { MetaCache } from './meta-cache.ts';
import { readRange, scanFile } from './file.ts';
import { filterHeaderFields, planSection } from './sections.ts';
import { metaOf } from './structure.ts';
import { HEADER_CAP } from './mime-scan.ts';
import { binaryData, binarySize } from './binary.ts';
import { search } from './search.ts';
import { HeaderCache } from './content.ts';
import { sortMessages } from './sort.ts';
import { threadMessages } from './thread.ts';

export interface MessageLayerOptions {
  /** Disk cache directory; default DATA/index/imap-meta. null: memory only. */
  readonly cacheDir?: string | null;
  /** Memory cache bounds. */
  readonly maxCachedEntries?: number;
  readonly maxCachedBytes?: number;
}

/** Most header bytes read for HEADER.FIELDS (the scanner keeps the same amount). */
const FIELDS_READ_CAP = HEADER_CAP;

export function createMessageLayer(layout: VolumeLayout, opts: MessageLayerOptions = {}): MessageLayer {
  const cache = new MetaCache({
    dir: opts.cacheDir === undefined ? join(layout.indexDir, 'imap-meta') : opts.cacheDir,
    maxEntries: opts.maxCachedEntries,
    maxBytes: opts.maxCachedBytes,
  });
  const headers = new HeaderCache();
  // Parses in flight, so concurrent FETCHes of one new message scan it once.
  const inflight = new Map<string, Promise<MessageMeta>>();

  async function meta(path: string, id: string): Promise<MessageMeta> {
    const cached = await cache.get(id);
    if (cached) return cached;
    let p = inflight.get(id);
    if (!p) {
      p = scanFile(path).then((root) => {
        const m = metaOf(root);
        cache.put(id, m);
        headers.prime(id, root.fields);
        return m;
      }).finally(() => inflight.delete(id));
      inflight.set(id, p);
    }
    return p;
  }

  async function section(path: string, m: MessageMeta, s: Section): Promise<SectionData> {
    const plan = planSection(m.offsets, s);
    if (plan.kind !== 'fields') return plan;
    const header = await readRange(path, plan.start, plan.end, FIELDS_READ_CAP);
    return { kind: 'bytes', data: filterHeaderFields(header, plan.names, plan.not) };
  }

  return {
    meta,
    section,
    binary: (path, m, part) => binaryData(path, m, part),
    binarySize: (path, m, part) => binarySize(path, m, part),
    search: (key, candidates, ctx) => search(key, candidates, ctx, { meta, headers }),
    sort: (keys, messages) => sortMessages(keys, messages, meta),
    thread: (algorithm, messages) => threadMessages(algorithm, messages, meta),
    close: () => cache.flush(),
  };
}

export type { MessageLayer, MessageMeta, SectionData, ThreadNode } from './api.ts';
/** THREAD response data (`(2)(3 6 (4 23)(44 7 96))`) from `thread()`'s result. */
export { formatThreads } from './thread-format.ts';
