// RENAME (RFC 9051 6.3.6): the folder and its children, UIDs and UIDVALIDITY with them.
// Renaming INBOX moves its messages into the new folder and leaves INBOX empty.
import { join } from 'node:path';
import { mailboxToMaildir } from '../../proto/mailbox-name.ts';
import { defineCommand, no, type Result } from '../command.ts';
import { mailboxArg } from '../mailbox-arg.ts';
import { authenticatedOf } from '../state.ts';

export const RENAME = defineCommand({
  name: 'RENAME',
  states: ['authenticated', 'selected'],
  async run(ctx, state, cmd) {
    const from = mailboxArg(ctx, cmd.from);
    if ('error' in from) return no(from.error, { code: 'NONEXISTENT' });
    const to = mailboxArg(ctx, cmd.to);
    if ('error' in to) return no(to.error, { code: 'CANNOT' });
    if (to.name === 'INBOX') return no('INBOX already exists', { code: 'ALREADYEXISTS' });
    if (to.name.startsWith(`${from.name}/`)) return no(`cannot move ${from.name} under itself`, { code: 'CANNOT' });
    const store = state.store;
    if (from.name === 'INBOX') {
      const inbox = await store.folder('INBOX');
      await inbox.sync();
      await store.create(to.name);
      const uids = inbox.messages().map((m) => m.uid);
      if (uids.length) await store.move('INBOX', uids, to.name);
      ctx.event('imap.rename', { from: 'INBOX', to: to.name, moved: uids.length });
      return { status: 'OK', text: `RENAME completed: ${uids.length} messages moved from INBOX` };
    }
    const leaving = state.kind === 'selected' && (state.mailbox.name === from.name || state.mailbox.name.startsWith(`${from.name}/`));
    if (leaving) state.mailbox.close();
    await store.rename(from.name, to.name);
    ctx.deps.watches.goneUnder(join(store.root, mailboxToMaildir(from.name)!), `mailbox ${from.name} was renamed`, true);
    ctx.event('imap.rename', { from: from.name, to: to.name });
    const result: Result = { status: 'OK', text: 'RENAME completed' };
    return leaving ? { ...result, next: authenticatedOf(state) } : result;
  },
});
