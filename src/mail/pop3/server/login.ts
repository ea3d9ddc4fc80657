// The login shared by USER/PASS (RFC 1939 section 7) and AUTH PLAIN (RFC 5034):
// throttle check before the password is looked at, the password check, the mailbox
// lock ([IN-USE], RFC 2449 section 8.1.1) and the maildrop snapshot taken at login.
import { err, ok } from '../proto/reply.ts';
import type { Outcome, SessionContext } from './command.ts';
import { Maildrop } from './maildrop.ts';
import type { Pop3State } from './state.ts';

type Authorization = Extract<Pop3State, { kind: 'authorization' }>;

export async function login(ctx: SessionContext, state: Authorization, username: string, password: string): Promise<Outcome> {
  const { throttle, auth, locks, store, limits } = ctx.deps;
  const fresh: Pop3State = { kind: 'authorization', pendingUser: null, failures: state.failures };
  const verdict = throttle.check(ctx.remoteAddress, username);
  if (verdict) {
    ctx.event('pop3.login.throttled', { user: username, scope: verdict.scope, retryAfterSeconds: verdict.retryAfterSeconds });
    const who = verdict.scope === 'ip' ? `from ${ctx.remoteAddress}` : 'for this user';
    // RFC 3206 section 4: SYS/TEMP says "try again later" without blaming the password.
    await ctx.reply(err(`too many failed logins ${who}; try again in ${verdict.retryAfterSeconds} seconds`, 'SYS/TEMP'));
    return { next: fresh };
  }
  const user = await auth.authenticate(username, password);
  if (!user) {
    throttle.recordFailure(ctx.remoteAddress, username);
    const failures = state.failures + 1;
    ctx.event('pop3.login.failed', { user: username, failures });
    await ctx.reply(err('invalid user name or password', 'AUTH'));
    if (failures >= limits.maxAuthFailures) {
      await ctx.reply(err(`${failures} failed logins on this connection; closing`));
      return { close: true };
    }
    return { next: { ...fresh, failures } };
  }
  throttle.recordSuccess(username);
  const lock = locks.acquire(user.address, ctx.id);
  if (!lock) {
    ctx.event('pop3.login.in-use', { user: user.address, holder: locks.holder(user.address) });
    await ctx.reply(err(`maildrop of ${user.address} is in use by another POP3 session`, 'IN-USE'));
    return { next: fresh };
  }
  let maildrop: Maildrop;
  try {
    maildrop = new Maildrop(await store.snapshot(user));
  } catch (e) {
    lock.release();
    ctx.event('pop3.maildrop.open-failed', { user: user.address, error: (e as Error).message });
    await ctx.reply(err('cannot open the maildrop now; try again later', 'SYS/TEMP'));
    return { next: fresh };
  }
  const { count, octets } = maildrop.stat();
  ctx.event('pop3.login', { user: user.address, messages: count, octets });
  await ctx.reply(ok(`${user.address} has ${count} messages (${octets} octets)`));
  return { next: { kind: 'transaction', user, maildrop, lock } };
}
