// DELETE (RFC 9051 6.3.5): the folder goes; its children stay (they are folders of their
// own in Maildir++). Sessions of this process that have it selected are told with BYE.
import { join } from 'node:path';
import { mailboxToMaildir } from '../../proto/mailbox-name.ts';
import { defineCommand, no, type Result } from '../command.ts';
import { mailboxArg } from '../mailbox-arg.ts';
import { authenticatedOf } from '../state.ts';

export const DELETE = defineCommand({
  name: 'DELETE',
  states: ['authenticated', 'selected'],
  async run(ctx, state, cmd) {
    const arg = mailboxArg(ctx, cmd.mailbox);
    if ('error' in arg) return no(arg.error, { code: 'NONEXISTENT' });
    if (arg.name === 'INBOX') return no('INBOX cannot be deleted', { code: 'CANNOT' });
    // This session leaves the mailbox itself rather than being told it vanished.
    const leaving = state.kind === 'selected' && state.mailbox.name === arg.name;
    if (leaving) state.mailbox.close();
    await state.store.delete(arg.name);
    ctx.deps.watches.goneUnder(join(state.store.root, mailboxToMaildir(arg.name)!), `mailbox ${arg.name} was deleted`, false);
    ctx.event('imap.delete', { mailbox: arg.name });
    const result: Result = { status: 'OK', text: 'DELETE completed' };
    return leaving ? { ...result, next: authenticatedOf(state) } : result;
  },
});
