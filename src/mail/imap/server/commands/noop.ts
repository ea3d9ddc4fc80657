// NOOP (RFC 9051 6.1.2) and CHECK (RFC 3501 6.4.1): a chance to report mailbox changes.
// The selected folder is synced first, so a client polling with NOOP sees deliveries
// even where inotify is missing; CHECK has nothing to flush (every change is durable).
import { defineCommand, ok } from '../command.ts';

export const NOOP = defineCommand({
  name: 'NOOP',
  states: ['not-authenticated', 'authenticated', 'selected'],
  async run(_ctx, state) {
    if (state.kind === 'selected' && !state.mailbox.gone) await state.mailbox.ix.sync();
    return ok('NOOP completed');
  },
});

export const CHECK = defineCommand({
  name: 'CHECK',
  states: ['selected'],
  async run(_ctx, state) {
    if (!state.mailbox.gone) await state.mailbox.ix.sync();
    return ok('CHECK completed');
  },
});
