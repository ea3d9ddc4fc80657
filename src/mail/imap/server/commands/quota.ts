// QUOTA (RFC 9208): one quota root "" per user with the STORAGE resource (KiB) from the
// user's quota and maildirsize. Quotas are set by the administrator, never by SETQUOTA.
import { readUsage } from '../../../storage/quota.ts';
import { quotaResponse, quotaRootResponse } from '../../proto/untagged.ts';
import { defineCommand, ok, no } from '../command.ts';
import { mailboxArg } from '../mailbox-arg.ts';
import type { SessionContext } from '../command.ts';
import type { LoggedIn } from '../state.ts';
import { quotaOf } from '../quota-of.ts';

async function sendQuota(ctx: SessionContext, state: LoggedIn, quota: number): Promise<void> {
  const usage = await readUsage(state.store.root, quota);
  await ctx.send(quotaResponse('', [{ name: 'STORAGE', usage: Math.ceil(usage.bytes / 1024), limit: Math.floor(quota / 1024) }]));
}

export const GETQUOTAROOT = defineCommand({
  name: 'GETQUOTAROOT',
  states: ['authenticated', 'selected'],
  async run(ctx, state, cmd) {
    const arg = mailboxArg(ctx, cmd.mailbox);
    if ('error' in arg) return no(arg.error, { code: 'NONEXISTENT' });
    await state.store.folder(arg.name);
    const quota = quotaOf(ctx.deps, state);
    await ctx.send(quotaRootResponse(ctx.encodeName(arg.name), quota > 0 ? [''] : [], ctx.format));
    if (quota > 0) await sendQuota(ctx, state, quota);
    return ok('GETQUOTAROOT completed');
  },
});

export const GETQUOTA = defineCommand({
  name: 'GETQUOTA',
  states: ['authenticated', 'selected'],
  async run(ctx, state, cmd) {
    const quota = quotaOf(ctx.deps, state);
    if (cmd.root !== '' || quota === 0) return no(`no quota root "${cmd.root.slice(0, 100)}" (${quota === 0 ? 'this user has no quota' : 'the only root is ""'})`, { code: 'NONEXISTENT' });
    await sendQuota(ctx, state, quota);
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
