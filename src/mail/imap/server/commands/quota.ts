// QUOTA (RFC 9208): one quota root "" per user with the STORAGE resource (KiB) from the
// user's quota and maildirsize. Quotas are set by the administrator, never by SETQUOTA.
import { readUsage } from '../../../storage/quota.ts';
import { quotaResponse, quotaRootResponse } from '../../proto/untagged.ts';
import { defineCommand, ok, no } from '../command.ts';
import { mailboxArg } from '../mailbox-arg.ts';
import type { SessionContext } from '../command.ts';
import type { LoggedIn } from '../state.ts';

async function sendQuota(ctx: SessionContext, state: LoggedIn): Promise<void> {
  const usage = await readUsage(state.store.root, state.user.quotaBytes);
  await ctx.send(quotaResponse('', [{ name: 'STORAGE', usage: Math.ceil(usage.bytes / 1024), limit: Math.floor(state.user.quotaBytes / 1024) }]));
}

export const GETQUOTAROOT = defineCommand({
  name: 'GETQUOTAROOT',
  states: ['authenticated', 'selected'],
  async run(ctx, state, cmd) {
    const arg = mailboxArg(ctx, cmd.mailbox);
    if ('error' in arg) return no(arg.error, { code: 'NONEXISTENT' });
    await state.store.folder(arg.name);
    const limited = state.user.quotaBytes > 0;
    await ctx.send(quotaRootResponse(ctx.encodeName(arg.name), limited ? [''] : [], ctx.format));
    if (limited) await sendQuota(ctx, state);
    return ok('GETQUOTAROOT completed');
  },
});

export const GETQUOTA = defineCommand({
  name: 'GETQUOTA',
  states: ['authenticated', 'selected'],
  async run(ctx, state, cmd) {
    if (cmd.root !== '' || state.user.quotaBytes === 0) return no(`no quota root "${cmd.root.slice(0, 100)}" (${state.user.quotaBytes === 0 ? 'this user has no quota' : 'the only root is ""'})`, { code: 'NONEXISTENT' });
    await sendQuota(ctx, state);
    return ok('GETQUOTA completed');
  },
});

export const SETQUOTA = defineCommand({
  name: 'SETQUOTA',
  states: ['authenticated', 'selected'],
  async run() {
    return no('quotas are set by the administrator (tandem mail user update --quota), not over IMAP', { code: 'NOPERM' });
  },
});
