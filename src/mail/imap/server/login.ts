// The login shared by LOGIN (RFC 9051 6.2.3) and AUTHENTICATE PLAIN (RFC 9051 6.2.2):
// the throttle is asked before the password is looked at (DESIGN 3.6, shared with POP3),
// then the user's store is opened; the tagged OK carries the new capability list.
import type { Result, SessionContext } from './command.ts';

export async function login(ctx: SessionContext, username: string, password: string): Promise<Result> {
  const { throttle, auth, indexes, limits } = ctx.deps;
  const verdict = throttle.check(ctx.remoteAddress, username);
  if (verdict) {
    ctx.event('imap.login.throttled', { user: username, scope: verdict.scope, retryAfterSeconds: verdict.retryAfterSeconds });
    const who = verdict.scope === 'ip' ? `from ${ctx.remoteAddress}` : 'for this user';
    return { status: 'NO', text: `too many failed logins ${who}; try again in ${verdict.retryAfterSeconds} seconds`, code: { code: 'UNAVAILABLE' } };
  }
  const user = await auth.authenticate(username, password);
  if (!user) {
    throttle.recordFailure(ctx.remoteAddress, username);
    ctx.authFailures++;
    ctx.event('imap.login.failed', { user: username, failures: ctx.authFailures });
    const failed: Result = { status: 'NO', text: 'invalid user name or password', code: { code: 'AUTHENTICATIONFAILED' } };
    if (ctx.authFailures >= limits.maxAuthFailures) {
      await ctx.send(Buffer.from(`* BYE ${ctx.authFailures} failed logins on this connection; closing\r\n`));
      return { ...failed, close: true };
    }
    return failed;
  }
  throttle.recordSuccess(username);
  const store = await indexes.user(user.domain, user.local);
  ctx.event('imap.login', { user: user.address });
  const next = { kind: 'authenticated', user, store } as const;
  // The capability list changes with the state; compute it for the new one.
  return { status: 'OK', text: `${user.address} logged in`, next, code: { code: 'CAPABILITY', capabilities: ctx.capabilitiesFor(true) } };
}
