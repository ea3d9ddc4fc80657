// The contract between the IMAP server (src/mail/imap/server/) and the message layer
// (src/mail/imap/message/): what the server needs to know about a message's content for
// FETCH, SEARCH, SORT and THREAD. Message files never change after delivery (only their
// names do), so everything derived from the content can be cached by Maildir id forever.
//
// Memory rule: nothing here may hold a whole message in memory just to answer a FETCH of a
// part; sections are served as byte ranges of the file where the RFC allows it.
import type { Envelope, BodyStructure } from '../proto/envelope.ts';
import type { Section } from '../proto/fetch-types.ts';
import type { SearchKey } from '../proto/search-types.ts';
import type { SortKey } from '../proto/command-types.ts';

/** Byte offsets of one MIME entity inside the message file. */
export interface PartOffsets {
  /** First octet of the entity's header (for the top level: 0). */
  readonly headerStart: number;
  /** First octet of the body (after the blank line); equals `end` when there is no body. */
  readonly bodyStart: number;
  /** One past the last octet of the body. */
  readonly end: number;
  /** Sub-parts of a multipart, or [the encapsulated message] of a message/rfc822. */
  readonly children: readonly PartOffsets[];
  /** The entity is message/rfc822 (its child is the encapsulated message). */
  readonly isMessage: boolean;
}

/** Everything derived from a message's content, computed once and cached by Maildir id. */
export interface MessageMeta {
  readonly envelope: Envelope;
  readonly bodyStructure: BodyStructure;
  readonly offsets: PartOffsets;
  /** The Date: header in ms since the epoch (SENTBEFORE..., SORT DATE); null when missing or unparseable. */
  readonly sentAtMs: number | null;
  /** RFC 5256 base subject (SORT SUBJECT, THREAD ORDEREDSUBJECT). */
  readonly baseSubject: string;
  /** References + In-Reply-To message ids, oldest first (THREAD REFERENCES). */
  readonly references: readonly string[];
}

/** What FETCH BODY[section] / BINARY[part] sends: a file range, or computed bytes. */
export type SectionData =
  | { readonly kind: 'range'; readonly start: number; readonly end: number }
  | { readonly kind: 'bytes'; readonly data: Buffer }
  /** The part does not exist: RFC 9051 says send an empty string (not an error). */
  | { readonly kind: 'empty' };

/** What the SEARCH evaluator knows about a message without reading the file. */
export interface SearchCandidate {
  readonly uid: number;
  readonly seq: number;
  /** IMAP flags and keywords, e.g. ['\\Seen', '$Forwarded']. */
  readonly flags: readonly string[];
  readonly internalDateMs: number;
  readonly size: number;
  readonly modseq: number;
  /** Absolute path of the message file. */
  readonly path: string;
  /** Maildir id (the cache key). */
  readonly id: string;
}

export interface SearchContext {
  /** Now, for OLDER/YOUNGER. */
  readonly nowMs: number;
  /** Highest UID and sequence number in the mailbox, for `*` in UID/SEQ sets. */
  readonly maxUid: number;
  readonly maxSeq: number;
  /** Saved search result ($, RFC 5182), as UIDs (for UID and SEQ keys alike); null when none. */
  readonly saved: readonly number[] | null;
  /**
   * Time zone for date keys, in minutes EAST of UTC (e.g. 60 for CET; `-new Date().getTimezoneOffset()`):
   * BEFORE/ON/SINCE and SENT* compare calendar days in this zone. Omitted: the process's local zone.
   */
  readonly tzOffsetMinutes?: number;
}

/**
 * The message layer's entry points (implemented in src/mail/imap/message/index.ts).
 * `MessageStore` is one per process; it owns the meta cache under the volume's index/.
 */
export interface MessageLayer {
  /** Meta of the message file at `path` (cached by `id`; parsed on a miss). */
  meta(path: string, id: string): Promise<MessageMeta>;
  /** Resolves a BODY[section] / BINARY[part] request against the file (RFC 9051 6.4.5). */
  section(path: string, meta: MessageMeta, section: Section): Promise<SectionData>;
  /** BINARY[part] (RFC 3516): the decoded content of a leaf part; null = unknown encoding (NO [UNKNOWN-CTE]). */
  binary(path: string, meta: MessageMeta, part: readonly number[]): Promise<SectionData | null>;
  /** BINARY.SIZE of a part; null = unknown encoding. */
  binarySize(path: string, meta: MessageMeta, part: readonly number[]): Promise<number | null>;
  /** Evaluates SEARCH criteria; reads the file only for keys that need the content. */
  search(key: SearchKey, candidates: readonly SearchCandidate[], ctx: SearchContext): Promise<number[]>;
  /** SORT (RFC 5256): UIDs of `uids` in the requested order; ties by sequence (UID) order. */
  sort(keys: readonly SortKey[], messages: readonly SearchCandidate[]): Promise<number[]>;
  /**
   * THREAD (RFC 5256) ORDEREDSUBJECT or REFERENCES: trees whose ids are the candidates' `uid`s
   * (map them to sequence numbers for THREAD without UID); `formatThreads()` in index.ts
   * writes the wire form.
   */
  thread(algorithm: 'ORDEREDSUBJECT' | 'REFERENCES', messages: readonly SearchCandidate[]): Promise<ThreadNode[]>;
  close(): Promise<void>;
}

/** One thread tree node: a message's UID and its children; `id: null` is a dummy parent (RFC 5256 `((3)(5))`). */
export interface ThreadNode { readonly id: number | null; readonly children: readonly ThreadNode[] }
