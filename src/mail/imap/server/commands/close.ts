// CLOSE (RFC 9051 6.4.1): expunges \Deleted messages silently (not in EXAMINE) and leaves
// the mailbox; UNSELECT (RFC 3691) leaves it without expunging.
import { defineCommand, ok } from '../command.ts';
import { authenticatedOf } from '../state.ts';

export const CLOSE = defineCommand({
  name: 'CLOSE',
  states: ['selected'],
  async run(ctx, state) {
    const mb = state.mailbox;
    if (!mb.readOnly && !mb.gone) {
      const gone = await mb.ix.expunge();
      if (gone.length) ctx.event('imap.expunge', { mailbox: mb.name, count: gone.length, by: 'CLOSE' });
    }
    return ok('CLOSE completed', undefined, authenticatedOf(state));
  },
});

export const UNSELECT = defineCommand({
  name: 'UNSELECT',
  states: ['selected'],
  async run(_ctx, state) {
    return ok('UNSELECT completed', undefined, authenticatedOf(state));
  },
});
