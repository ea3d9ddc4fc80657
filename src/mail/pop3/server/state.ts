// The POP3 session state (RFC 1939 section 3: AUTHORIZATION, TRANSACTION, UPDATE) as a
// discriminated union that carries its own data: the maildrop and its lock exist only
// once a user is logged in, so no handler can reach them before that.
import type { User } from '../../directory/directory.ts';
import { assertNever } from '../../../lib/errors.ts';
import type { Maildrop } from './maildrop.ts';
import type { MailboxLock } from './mailbox-lock.ts';

export type Pop3State =
  | { readonly kind: 'authorization'; readonly pendingUser: string | null; readonly failures: number }
  | { readonly kind: 'transaction'; readonly user: User; readonly maildrop: Maildrop; readonly lock: MailboxLock }
  | { readonly kind: 'update'; readonly user: User; readonly maildrop: Maildrop; readonly lock: MailboxLock };

export type StateKind = Pop3State['kind'];

export const INITIAL_STATE: Pop3State = { kind: 'authorization', pendingUser: null, failures: 0 };

/** The RFC's name of a state, for replies such as "-ERR STAT needs the TRANSACTION state". */
export function stateName(state: Pop3State): string {
  switch (state.kind) {
    case 'authorization': return 'AUTHORIZATION';
    case 'transaction': return 'TRANSACTION';
    case 'update': return 'UPDATE';
    default: return assertNever(state, 'POP3 state');
  }
}

/**
 * Releases what a state holds (the maildrop lock, a read-ahead message), so every way
 * out of a session can call it. Marked deletions are not applied here: only QUIT does.
 */
export function releaseState(state: Pop3State): void {
  switch (state.kind) {
    case 'authorization':
      return;
    case 'transaction':
    case 'update':
      state.maildrop.readAhead.dispose();
      state.lock.release();
      return;
    default:
      assertNever(state, 'POP3 state');
  }
}
