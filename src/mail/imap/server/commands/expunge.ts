// EXPUNGE (RFC 9051 6.4.3) and UID EXPUNGE (RFC 4315 2.1): removes \Deleted messages
// durably; the EXPUNGE (or VANISHED) responses come from the session's flush after it.
import { defineCommand, ok, no } from '../command.ts';

export const EXPUNGE = defineCommand({
  name: 'EXPUNGE',
  states: ['selected'],
  async run(ctx, state, cmd) {
    const mb = state.mailbox;
    if (mb.readOnly) return no('mailbox is read-only (EXAMINE); nothing expunged', { code: 'READ-ONLY' });
    const uids = cmd.uids ? mb.resolve(cmd.uids, true).map((v) => v.uid) : undefined;
    if (uids && uids.length === 0) return ok('UID EXPUNGE completed (no matching messages)');
    const gone = await mb.ix.expunge(uids);
    if (gone.length) ctx.event('imap.expunge', { mailbox: mb.name, count: gone.length });
    return ok(`${cmd.uid ? 'UID ' : ''}EXPUNGE completed`);
  },
});
