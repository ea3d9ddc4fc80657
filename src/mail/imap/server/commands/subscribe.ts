// SUBSCRIBE and UNSUBSCRIBE (RFC 9051 6.3.7/6.3.8): the Maildir++ subscriptions file.
// A name that does not exist may be subscribed (RFC 9051 allows it; LIST shows \NonExistent).
import { defineCommand, ok, no } from '../command.ts';
import { mailboxArg } from '../mailbox-arg.ts';

export const SUBSCRIBE = defineCommand({
  name: 'SUBSCRIBE',
  states: ['authenticated', 'selected'],
  async run(ctx, state, cmd) {
    const arg = mailboxArg(ctx, cmd.mailbox);
    if ('error' in arg) return no(arg.error);
    await state.store.subscribe(arg.name);
    return ok('SUBSCRIBE completed');
  },
});

export const UNSUBSCRIBE = defineCommand({
  name: 'UNSUBSCRIBE',
  states: ['authenticated', 'selected'],
  async run(ctx, state, cmd) {
    const arg = mailboxArg(ctx, cmd.mailbox);
    if ('error' in arg) return no(arg.error);
    await state.store.unsubscribe(arg.name);
    return ok('UNSUBSCRIBE completed');
  },
});
