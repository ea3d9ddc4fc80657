// The command descriptor (STYLE "Command table"): each command declares once the states
// it is allowed in and how its arguments parse; the dispatcher applies those guards so
// handlers never repeat them. Handlers reach storage and accounts only through deps.
import type { SecureContext } from 'node:tls';
import type { Logger } from '../../../lib/log.ts';
import type { ArgError, SplitLine } from '../proto/args.ts';
import type { Reply } from '../proto/reply.ts';
import type { LoginThrottle } from '../../../lib/login-throttle.ts';
import type { MailboxLocks } from './mailbox-lock.ts';
import type { Pop3State, StateKind } from './state.ts';
import type { Authenticator, Pop3Store } from './store.ts';

/** Shared by every session of one service. */
export interface SessionDeps {
  readonly store: Pop3Store;
  readonly auth: Authenticator;
  readonly throttle: LoginThrottle;
  readonly locks: MailboxLocks;
  /** Null when TLS material could not be loaded: STLS is then not offered. */
  readonly tls: SecureContext | null;
  readonly allowPlaintextOnLoopback: boolean;
  readonly hostname: string;
  readonly limits: {
    readonly maxLineBytes: number;
    readonly idleTimeoutMs: number;
    /** Unknown, misplaced or malformed commands before the connection is closed. */
    readonly maxBadCommands: number;
    /** Failed logins on one connection before it is closed. */
    readonly maxAuthFailures: number;
  };
  readonly log: Logger;
}

/** What a handler may do with its session. */
export interface SessionContext {
  readonly id: string;
  readonly remoteAddress: string;
  readonly secure: boolean;
  /** The client is gone: stop producing output. */
  readonly closed: boolean;
  readonly deps: SessionDeps;
  reply(reply: Reply): Promise<void>;
  /** Raw response bytes (multi-line bodies); waits when the socket buffer is full. */
  write(data: Buffer | string): Promise<void>;
  /** The next pipelined line if it has already arrived, without consuming it. */
  peekLine(): string | null;
  cork(): void;
  uncork(): void;
  /** The next client line, for SASL continuations; null if the client went away. */
  readLine(): Promise<string | null>;
  /** Sends "+OK" and performs the TLS handshake (RFC 2595 section 4). */
  startTls(okText: string): Promise<boolean>;
  canStartTls(): boolean;
  /** USER/PASS and AUTH PLAIN are usable: TLS, or loopback when settings allow it. */
  plaintextAuthAllowed(): boolean;
  /** A typed log event with the session's id and peer attached. */
  event(name: string, fields?: Record<string, unknown>): void;
}

/** What a handler returns: the next state, and whether to close after the reply. */
export type Outcome = { readonly next?: Pop3State; readonly close?: boolean } | void;

export interface CommandSpec<K extends StateKind, A> {
  readonly name: string;
  readonly states: readonly K[];
  parse(line: SplitLine): A | ArgError;
  run(ctx: SessionContext, state: Extract<Pop3State, { kind: K }>, args: A): Promise<Outcome>;
}

/** A descriptor with its types erased, as the dispatcher holds it. */
export interface AnyCommand {
  readonly name: string;
  readonly states: readonly StateKind[];
  parse(line: SplitLine): unknown;
  run(ctx: SessionContext, state: Pop3State, args: unknown): Promise<Outcome>;
}

/**
 * Declares a command. The dispatcher calls run() only in one of `states` and only with
 * what parse() returned, which is what makes this single cast sound.
 */
export function defineCommand<K extends StateKind, A>(spec: CommandSpec<K, A>): AnyCommand {
  return spec as unknown as AnyCommand;
}
