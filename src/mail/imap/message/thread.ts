// THREAD: not implemented yet (next commits).
import { TandemError } from '../../../lib/errors.ts';
import type { MessageMeta, SearchCandidate, ThreadNode } from './api.ts';

export async function threadMessages(_a: 'ORDEREDSUBJECT' | 'REFERENCES', _m: readonly SearchCandidate[], _meta: (path: string, id: string) => Promise<MessageMeta>): Promise<ThreadNode[]> {
  throw new TandemError('IMAP_NOT_YET', 'not-possible', 'THREAD is not implemented yet');
}
