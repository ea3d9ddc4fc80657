// The IMAP session states (RFC 9051 section 3) as a union that carries its own data, so a
// handler for the selected state cannot run without a mailbox (STYLE "illegal states").
import type { User } from '../../directory/directory.ts';
import type { UserStore } from '../store/user-store.ts';
import type { SelectedMailbox } from './selected.ts';

export type ImapState =
  | { readonly kind: 'not-authenticated' }
  | { readonly kind: 'authenticated'; readonly user: User; readonly store: UserStore }
  | { readonly kind: 'selected'; readonly user: User; readonly store: UserStore; readonly mailbox: SelectedMailbox }
  | { readonly kind: 'logout' };

export type StateKind = ImapState['kind'];

export type LoggedIn = Extract<ImapState, { kind: 'authenticated' | 'selected' }>;

/** The words used in replies ("LOGIN is not allowed in the authenticated state"). */
export function stateName(kind: StateKind): string {
  return kind.replace('-', ' ');
}

/** The authenticated state of a logged-in session (leaving any selected mailbox). */
export function authenticatedOf(state: LoggedIn): Extract<ImapState, { kind: 'authenticated' }> {
  return { kind: 'authenticated', user: state.user, store: state.store };
}
