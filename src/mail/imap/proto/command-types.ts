// Typed IMAP commands produced by parseCommand (RFC 3501 section 6, RFC 9051 section 6 and
// the extensions of issue 3). Data only. Mailbox names stay as sent: see mailbox-name.ts.
import type { SequenceSet } from './sequence-set.ts';
import type { StreamedLiteral } from './args.ts';
import type { SearchKey } from './search-types.ts';
import type { FetchAtt } from './fetch-types.ts';

export type { SearchKey, FetchAtt };

/** QRESYNC parameters of SELECT/EXAMINE (RFC 7162 section 3.2.5). */
export interface QresyncParams {
  readonly uidValidity: number;
  readonly modseq: bigint;
  readonly knownUids: SequenceSet | null;
  readonly seqMatch: { readonly seqs: SequenceSet; readonly uids: SequenceSet } | null;
}

/** LIST-EXTENDED return options (RFC 5258 section 3, RFC 5819 STATUS, RFC 6154 SPECIAL-USE). */
export interface ListReturn {
  readonly subscribed: boolean;
  readonly children: boolean;
  readonly specialUse: boolean;
  readonly status: readonly StatusItem[] | null;
}

export type StatusItem =
  | 'MESSAGES' | 'RECENT' | 'UIDNEXT' | 'UIDVALIDITY' | 'UNSEEN' | 'DELETED' | 'SIZE' | 'HIGHESTMODSEQ' | 'APPENDLIMIT';

export interface AppendMessage {
  readonly flags: readonly string[];
  /** INTERNALDATE as given, parsed (RFC 3501 `date-time`). */
  readonly date: Date | null;
  readonly data: Buffer | StreamedLiteral;
  /** Sent as `UTF8 (~{n})` (RFC 6855 section 4): headers may hold UTF-8. */
  readonly utf8: boolean;
}

export type SortKey = { readonly reverse: boolean; readonly key: 'ARRIVAL' | 'CC' | 'DATE' | 'FROM' | 'SIZE' | 'SUBJECT' | 'TO' | 'DISPLAYFROM' | 'DISPLAYTO' };

/** ESEARCH RETURN options (RFC 4731, RFC 5182 SAVE); null when RETURN was not given. */
export type SearchReturn = readonly ('MIN' | 'MAX' | 'ALL' | 'COUNT' | 'SAVE')[] | null;

export type StoreAction = 'set' | 'add' | 'remove';

export type CommandBody =
  | { readonly name: 'CAPABILITY' | 'NOOP' | 'LOGOUT' | 'STARTTLS' | 'NAMESPACE' | 'CHECK' | 'CLOSE' | 'UNSELECT' | 'IDLE' }
  | { readonly name: 'EXPUNGE'; readonly uids: SequenceSet | null }
  | { readonly name: 'AUTHENTICATE'; readonly mechanism: string; readonly initialResponse: string | null }
  /** RFC 4978: `COMPRESS DEFLATE`. */
  | { readonly name: 'COMPRESS'; readonly mechanism: string }
  | { readonly name: 'LOGIN'; readonly username: string; readonly password: string }
  | { readonly name: 'ENABLE'; readonly capabilities: readonly string[] }
  | { readonly name: 'ID'; readonly params: ReadonlyArray<readonly [string, string | null]> | null }
  | { readonly name: 'SELECT' | 'EXAMINE'; readonly mailbox: string; readonly condstore: boolean; readonly qresync: QresyncParams | null }
  | { readonly name: 'CREATE'; readonly mailbox: string; readonly specialUse: readonly string[] }
  | { readonly name: 'DELETE' | 'SUBSCRIBE' | 'UNSUBSCRIBE' | 'GETQUOTAROOT'; readonly mailbox: string }
  | { readonly name: 'RENAME'; readonly from: string; readonly to: string }
  | { readonly name: 'LIST'; readonly reference: string; readonly patterns: readonly string[]; readonly selection: readonly string[]; readonly returns: ListReturn; readonly extended: boolean }
  | { readonly name: 'LSUB'; readonly reference: string; readonly pattern: string }
  | { readonly name: 'STATUS'; readonly mailbox: string; readonly items: readonly StatusItem[] }
  | { readonly name: 'APPEND'; readonly mailbox: string; readonly messages: readonly AppendMessage[] }
  | { readonly name: 'SEARCH'; readonly charset: string | null; readonly criteria: SearchKey; readonly returns: SearchReturn }
  | { readonly name: 'FETCH'; readonly sequence: SequenceSet; readonly items: readonly FetchAtt[]; readonly changedSince: bigint | null; readonly vanished: boolean }
  | { readonly name: 'STORE'; readonly sequence: SequenceSet; readonly action: StoreAction; readonly silent: boolean; readonly flags: readonly string[]; readonly unchangedSince: bigint | null }
  | { readonly name: 'COPY' | 'MOVE'; readonly sequence: SequenceSet; readonly mailbox: string }
  | { readonly name: 'GETQUOTA'; readonly root: string }
  | { readonly name: 'SETQUOTA'; readonly root: string; readonly limits: ReadonlyArray<{ readonly resource: string; readonly limit: number }> }
  | { readonly name: 'SORT'; readonly keys: readonly SortKey[]; readonly charset: string; readonly criteria: SearchKey; readonly returns: SearchReturn }
  | { readonly name: 'THREAD'; readonly algorithm: string; readonly charset: string; readonly criteria: SearchKey };

/** A parsed command. `uid` is true for the UID variants (RFC 3501 section 6.4.8). */
export type Command = CommandBody & { readonly tag: string; readonly uid: boolean };

export type CommandName = CommandBody['name'];

/** A command that could not be parsed: the session answers `tag BAD reason` (tag null: `* BAD`). */
export interface CommandError { readonly error: true; readonly tag: string | null; readonly reason: string }
