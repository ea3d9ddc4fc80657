// SEARCH evaluation: not implemented yet (next commits).
import { TandemError } from '../../../lib/errors.ts';
import type { MessageMeta, SearchCandidate, SearchContext } from './api.ts';
import type { SearchKey } from '../proto/search-types.ts';

export async function search(_key: SearchKey, _c: readonly SearchCandidate[], _ctx: SearchContext, _meta: (path: string, id: string) => Promise<MessageMeta>): Promise<number[]> {
  throw new TandemError('IMAP_NOT_YET', 'not-possible', 'SEARCH is not implemented yet');
}
