// CREATE (RFC 9051 6.3.4) with CREATE-SPECIAL-USE (RFC 6154 3): missing parents are
// created too (Maildir++ keeps each level as its own folder). Special-use attributes
// belong to the fixed folders (Drafts, Sent, Trash, Junk, Archive), so USE can only
// name the one a folder already has.
import { isTandemError } from '../../../../lib/errors.ts';
import { SEPARATOR } from '../../proto/mailbox-name.ts';
import { SPECIAL_USE } from '../../store/user-store.ts';
import { defineCommand, ok, no } from '../command.ts';
import { mailboxArg } from '../mailbox-arg.ts';

export const CREATE = defineCommand({
  name: 'CREATE',
  states: ['authenticated', 'selected'],
  async run(ctx, state, cmd) {
    const arg = mailboxArg(ctx, cmd.mailbox);
    if ('error' in arg) return no(arg.error, { code: 'CANNOT' });
    if (arg.name === 'INBOX') return no('INBOX always exists', { code: 'ALREADYEXISTS' });
    const use = new Map(SPECIAL_USE).get(arg.name) ?? null;
    for (const u of cmd.specialUse) {
      if (u.toLowerCase() !== use?.toLowerCase()) {
        return no(`special use ${u} is kept by a fixed folder (${SPECIAL_USE.map(([n, a]) => `${n} ${a}`).join(', ')})`, { code: 'USEATTR' });
      }
    }
    const levels = arg.name.split(SEPARATOR);
    for (let i = 1; i < levels.length; i++) {
      const parent = levels.slice(0, i).join(SEPARATOR);
      if (parent === 'INBOX') continue;
      await state.store.create(parent).catch((e: unknown) => { if (!isTandemError(e, 'exists')) throw e; });
    }
    await state.store.create(arg.name);
    ctx.event('imap.create', { mailbox: arg.name });
    return ok('CREATE completed');
  },
});
