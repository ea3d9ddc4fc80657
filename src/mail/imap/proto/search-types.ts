// Typed SEARCH criteria (RFC 3501 section 6.4.4, RFC 9051 section 6.4.4, RFC 7162 MODSEQ,
// RFC 5032 OLDER/YOUNGER). Data only; evaluation belongs to the server.
import type { SequenceSet } from './sequence-set.ts';

export type FlagKey =
  | 'ALL' | 'ANSWERED' | 'DELETED' | 'DRAFT' | 'FLAGGED' | 'NEW' | 'OLD' | 'RECENT' | 'SEEN'
  | 'UNANSWERED' | 'UNDELETED' | 'UNDRAFT' | 'UNFLAGGED' | 'UNSEEN';
export type TextKey = 'BCC' | 'BODY' | 'CC' | 'FROM' | 'SUBJECT' | 'TEXT' | 'TO';
export type DateKey = 'BEFORE' | 'ON' | 'SINCE' | 'SENTBEFORE' | 'SENTON' | 'SENTSINCE';

/** A calendar day as `YYYY-MM-DD` (search dates ignore time and zone, RFC 3501 6.4.4). */
export type Day = string;

export type SearchKey =
  | { readonly key: FlagKey }
  | { readonly key: TextKey; readonly value: string }
  | { readonly key: 'KEYWORD' | 'UNKEYWORD'; readonly flag: string }
  | { readonly key: 'HEADER'; readonly field: string; readonly value: string }
  | { readonly key: DateKey; readonly day: Day }
  | { readonly key: 'LARGER' | 'SMALLER'; readonly size: number }
  | { readonly key: 'OLDER' | 'YOUNGER'; readonly seconds: number }
  | { readonly key: 'UID' | 'SEQ'; readonly set: SequenceSet }
  | { readonly key: 'MODSEQ'; readonly modseq: bigint; readonly entry: { readonly name: string; readonly type: 'priv' | 'shared' | 'all' } | null }
  | { readonly key: 'NOT'; readonly inner: SearchKey }
  | { readonly key: 'OR'; readonly left: SearchKey; readonly right: SearchKey }
  | { readonly key: 'AND'; readonly keys: readonly SearchKey[] };
