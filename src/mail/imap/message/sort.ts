// SORT: not implemented yet (next commits).
import { TandemError } from '../../../lib/errors.ts';
import type { MessageMeta, SearchCandidate } from './api.ts';
import type { SortKey } from '../proto/command-types.ts';

export async function sortMessages(_keys: readonly SortKey[], _m: readonly SearchCandidate[], _meta: (path: string, id: string) => Promise<MessageMeta>): Promise<number[]> {
  throw new TandemError('IMAP_NOT_YET', 'not-possible', 'SORT is not implemented yet');
}
