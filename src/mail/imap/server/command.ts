// The command descriptor (STYLE "Command table"): each handler declares once the states it
// runs in; the session applies the state check, error mapping and the untagged-update rules
// of RFC 9051 section 7.4.1 centrally, so handlers never repeat them.
import type { SecureContext } from 'node:tls';
import type { Logger } from '../../../lib/log.ts';
import type { User } from '../../directory/directory.ts';
import type { MessageLayer } from '../message/api.ts';
import type { Command, CommandName } from '../proto/command-types.ts';
import type { FormatOptions } from '../proto/format.ts';
import type { ResponseCode } from '../proto/response.ts';
import type { MailIndexes } from '../store/registry.ts';
import type { LoginThrottle } from '../../../lib/login-throttle.ts';
import type { FolderWatches } from './watches.ts';
import type { ImapState, StateKind } from './state.ts';
import type { LiteralSinks } from './literal-sink.ts';

export interface Authenticator {
  authenticate(address: string, password: string): Promise<User | null>;
  /** The account now: an administrator may change the quota while a session is open. */
  getUser(address: string): User | null;
}

/** Shared by every session of one service process. */
export interface ServerDeps {
  readonly indexes: MailIndexes;
  /** Loaded lazily: ENVELOPE, BODYSTRUCTURE, sections, SEARCH on content, SORT, THREAD. */
  messages(): Promise<MessageLayer>;
  readonly auth: Authenticator;
  readonly throttle: LoginThrottle;
  /** Null when TLS material could not be loaded: STARTTLS is then not offered. */
  readonly tls: SecureContext | null;
  readonly allowPlaintextOnLoopback: boolean;
  readonly hostname: string;
  readonly watches: FolderWatches;
  /** Where streamed literals are written (under the volume's run/). */
  readonly tmpDir: string;
  readonly limits: {
    readonly autologoutMs: number;
    readonly idleMs: number;
    readonly maxLineBytes: number;
    readonly inlineLiteralBytes: number;
    readonly maxCommandBytes: number;
    /** APPENDLIMIT: the largest message (limits.messageSizeBytes). */
    readonly appendLimit: number;
    readonly maxBadCommands: number;
    readonly maxAuthFailures: number;
  };
  readonly log: Logger;
}

/** What a handler may do with its session. */
export interface SessionContext {
  readonly id: string;
  readonly remoteAddress: string;
  readonly secure: boolean;
  /** The client is gone: long loops (FETCH of a big mailbox) stop early. */
  readonly closed: boolean;
  readonly deps: ServerDeps;
  /** Extensions turned on by ENABLE (upper case). */
  readonly enabled: Set<string>;
  /** CONDSTORE is active: MODSEQ goes into unsolicited FETCH (RFC 7162 3.1). */
  condstore: boolean;
  /** Response formatting: UTF-8 quoted strings after ENABLE IMAP4rev2 / UTF8=ACCEPT. */
  readonly format: FormatOptions;
  readonly rev2: boolean;
  readonly literals: LiteralSinks;
  /** Failed logins on this connection. */
  authFailures: number;
  /** COMPRESS=DEFLATE is active; startDeflate() turns it on (after the tagged OK). */
  readonly compressed: boolean;
  startDeflate(): void;
  /** Tells a waiting IDLE that the selected mailbox changed. */
  wake(): void;
  /** Untagged data; waits while the client is not reading. */
  send(data: Buffer): Promise<void>;
  /** The next raw client line (AUTHENTICATE response, IDLE's DONE); null when the client left. */
  readLine(timeoutMs?: number): Promise<string | null>;
  /** Waits for a raw line or a mailbox change (IDLE); 'timeout' after timeoutMs. */
  waitLineOrChange(timeoutMs: number): Promise<{ line: string } | 'change' | 'closed' | 'timeout' | 'shutdown'>;
  setRawLineMode(on: boolean): void;
  /** Sends the tagged OK of STARTTLS and performs the handshake (RFC 9051 6.2.1). */
  startTls(tag: string): Promise<boolean>;
  canStartTls(): boolean;
  /** LOGIN / AUTHENTICATE usable: TLS, or loopback when settings allow it. */
  plaintextAuthAllowed(): boolean;
  capabilities(): string[];
  /** The list for a logged-in (true) or not logged-in session. */
  capabilitiesFor(authenticated: boolean): string[];
  /** Mailbox names: wire <-> Unicode for this session's encoding. */
  decodeName(wire: string): string | null;
  encodeName(name: string): string;
  /** Sends pending mailbox changes (EXISTS, EXPUNGE/VANISHED, FETCH FLAGS) now. */
  flushUpdates(expunges: boolean): Promise<void>;
  event(name: string, fields?: Record<string, unknown>): void;
}

/** The tagged result of a command, and what happens to the session after it. */
export interface Result {
  readonly status: 'OK' | 'NO' | 'BAD';
  readonly text: string;
  readonly code?: ResponseCode;
  readonly next?: ImapState;
  /** Close the connection after the tagged reply (LOGOUT, too many failures). */
  readonly close?: boolean;
  /** The tagged reply was already sent by the handler (STARTTLS). */
  readonly sent?: boolean;
}

export const ok = (text: string, code?: ResponseCode, next?: ImapState): Result => ({ status: 'OK', text, code, next });
export const no = (text: string, code?: ResponseCode): Result => ({ status: 'NO', text, code });
export const bad = (text: string): Result => ({ status: 'BAD', text });

/** The command of verb N (some union members share a shape across verbs, e.g. DELETE/SUBSCRIBE). */
export type CommandOf<N extends CommandName> = Command extends infer C ? (C extends { name: infer M } ? (N extends M ? C & { name: N } : never) : never) : never;

export interface CommandSpec<N extends CommandName, K extends StateKind> {
  readonly name: N;
  readonly states: readonly K[];
  /**
   * Whether EXPUNGE responses may follow this command (RFC 9051 7.4.1: not after FETCH,
   * STORE, SEARCH with sequence numbers, whose numbers the client may still be using).
   * Default true.
   */
  expungesAllowed?(cmd: CommandOf<N>): boolean;
  run(ctx: SessionContext, state: Extract<ImapState, { kind: K }>, cmd: CommandOf<N>): Promise<Result>;
}

export interface AnyCommand {
  readonly name: CommandName;
  readonly states: readonly StateKind[];
  expungesAllowed?(cmd: Command): boolean;
  run(ctx: SessionContext, state: ImapState, cmd: Command): Promise<Result>;
}

/** Declares a handler; the dispatcher only calls run() in `states` with a command named `name`. */
export function defineCommand<N extends CommandName, K extends StateKind>(spec: CommandSpec<N, K>): AnyCommand {
  return spec as unknown as AnyCommand;
}

/** Sequence-number commands must not be followed by EXPUNGE; their UID forms may. */
export const uidOnlyExpunges = (cmd: { uid: boolean }): boolean => cmd.uid;
