// A mailbox argument of a command, decoded for this session (modified UTF-7, or UTF-8
// after ENABLE IMAP4rev2 / UTF8=ACCEPT) and checked, with the reason when it is unusable.
import { mailboxNameProblem, SEPARATOR } from '../proto/mailbox-name.ts';
import type { SessionContext } from './command.ts';

export type MailboxArg = { readonly name: string } | { readonly error: string };

export function mailboxArg(ctx: SessionContext, wire: string): MailboxArg {
  const decoded = ctx.decodeName(wire);
  if (decoded === null) return { error: `mailbox name "${wire.slice(0, 100)}" is not valid ${ctx.format.utf8 ? 'UTF-8' : 'modified UTF-7'}` };
  // RFC 9051 6.3.4: a trailing separator only says the client means a parent.
  const name = decoded.length > 1 && decoded.endsWith(SEPARATOR) ? decoded.slice(0, -1) : decoded;
  const problem = mailboxNameProblem(name);
  return problem ? { error: problem } : { name };
}
