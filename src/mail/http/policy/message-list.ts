// Sorting and paging of a folder's message list (pure). Date and size sorts need only
// the folder index; from and subject need each message's summary, which the caller
// supplies for all messages only in those cases.

export type SortKey = 'date' | 'from' | 'subject' | 'size';
export type SortDir = 'asc' | 'desc';

export interface ListRow {
  readonly uid: number;
  /** INTERNALDATE (arrival) in ms. */
  readonly time: number;
  readonly size: number;
}

export interface ListRequest {
  readonly sort: SortKey;
  readonly dir: SortDir;
  /** 1-based. */
  readonly page: number;
  readonly pageSize: number;
}

export interface Page<T> {
  readonly rows: T[];
  readonly page: number;
  readonly pages: number;
  readonly total: number;
}

export function parseSort(value: unknown): SortKey {
  return value === 'from' || value === 'subject' || value === 'size' ? value : 'date';
}

export function parseDir(value: unknown, sort: SortKey): SortDir {
  if (value === 'asc' || value === 'desc') return value;
  return sort === 'date' || sort === 'size' ? 'desc' : 'asc';
}

export function parsePage(value: unknown): number {
  const n = typeof value === 'string' ? Number.parseInt(value, 10) : NaN;
  return Number.isFinite(n) && n >= 1 && n <= 1_000_000 ? n : 1;
}

/**
 * Orders rows and cuts one page. `textOf` gives the from/subject text for those sorts.
 * Ties keep UID order, so a page boundary is stable between requests.
 */
export function pageOf<T extends ListRow>(rows: readonly T[], req: ListRequest, textOf?: (row: T) => string): Page<T> {
  const sign = req.dir === 'asc' ? 1 : -1;
  const sorted = [...rows];
  if (req.sort === 'date') sorted.sort((a, b) => sign * (a.time - b.time || a.uid - b.uid));
  else if (req.sort === 'size') sorted.sort((a, b) => sign * (a.size - b.size || a.uid - b.uid));
  else {
    const text = new Map(rows.map((r) => [r.uid, (textOf?.(r) ?? '').toLowerCase()]));
    sorted.sort((a, b) => {
      const x = text.get(a.uid)!;
      const y = text.get(b.uid)!;
      return sign * (x < y ? -1 : x > y ? 1 : a.uid - b.uid);
    });
  }
  const pages = Math.max(1, Math.ceil(sorted.length / req.pageSize));
  const page = Math.min(req.page, pages);
  const start = (page - 1) * req.pageSize;
  return { rows: sorted.slice(start, start + req.pageSize), page, pages, total: sorted.length };
}
