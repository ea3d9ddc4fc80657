// Typed FETCH data items (RFC 3501 section 6.4.5, RFC 9051 section 6.4.5, RFC 3516 BINARY,
// RFC 7162 MODSEQ). Data only.

/** `section-text` of BODY[...] (RFC 3501 section 9). */
export type SectionText = 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME';

export interface Section {
  /** MIME part path, [] for the whole message: `1.2` is [1, 2]. */
  readonly part: readonly number[];
  readonly text: SectionText | null;
  /** Field names of HEADER.FIELDS (NOT), upper-cased. */
  readonly fields: readonly string[];
}

export interface Partial { readonly start: number; readonly length: number }

export type SimpleFetchItem =
  | 'UID' | 'FLAGS' | 'INTERNALDATE' | 'RFC822.SIZE' | 'ENVELOPE' | 'BODY' | 'BODYSTRUCTURE' | 'MODSEQ'
  | 'RFC822' | 'RFC822.HEADER' | 'RFC822.TEXT';

export type FetchAtt =
  | { readonly item: SimpleFetchItem }
  | { readonly item: 'BODY[]'; readonly peek: boolean; readonly section: Section; readonly partial: Partial | null }
  | { readonly item: 'BINARY[]'; readonly peek: boolean; readonly part: readonly number[]; readonly partial: Partial | null }
  | { readonly item: 'BINARY.SIZE'; readonly part: readonly number[] };
