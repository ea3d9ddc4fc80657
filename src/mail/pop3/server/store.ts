// What the POP3 session needs from storage, in domain terms (STYLE "Storage
// interfaces"): a snapshot of one user's INBOX taken at login, message reading and
// the removal done in the UPDATE state. Handlers see only these interfaces.
import type { User } from '../../directory/directory.ts';

/** One message of the maildrop as listed at login. */
export interface MessageRef {
  /** Stable across flag changes, restarts and failover: the UIDL (RFC 1939 section 7). */
  readonly id: string;
  /** Exact octets as stored (CRLF line ends): the LIST size. */
  readonly size: number;
}

/** Sequential reads of one message; the caller asks for bounded chunks. */
export interface MessageReader {
  /**
   * Up to `max` bytes, or null at the end of the message. Callers that know the size
   * ask for one byte more than is left, so the end is seen without another read.
   */
  read(max: number): Promise<Buffer | null>;
  close(): Promise<void>;
}

/** The user's maildrop as it was at login (RFC 1939 section 8: numbers are fixed). */
export interface MailboxSnapshot {
  readonly messages: readonly MessageRef[];
  /** Opens a message for reading; null when another client removed it meanwhile. */
  open(id: string): Promise<MessageReader | null>;
  /** Removes messages durably (UPDATE state); resolves to how many this call removed. */
  remove(ids: readonly string[]): Promise<number>;
}

export interface Pop3Store {
  snapshot(user: User): Promise<MailboxSnapshot>;
}

/** Checks a login; the account Directory satisfies it. */
export interface Authenticator {
  authenticate(address: string, password: string): Promise<User | null>;
}
