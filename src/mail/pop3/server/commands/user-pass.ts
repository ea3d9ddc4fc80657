// USER and PASS (RFC 1939 section 7). Plaintext passwords are refused unless the
// connection is TLS or an allowed loopback connection (RFC 2595 section 4); USER
// always answers +OK so it does not tell which accounts exist.
import { parsePass, parseUser } from '../../proto/args.ts';
import { err, ok } from '../../proto/reply.ts';
import { defineCommand, type SessionContext } from '../command.ts';
import { login } from '../login.ts';

/** The refusal for plaintext logins on a cleartext connection. */
export async function refusePlaintext(ctx: SessionContext): Promise<void> {
  ctx.event('pop3.login.plaintext-refused', {});
  const hint = ctx.canStartTls() ? 'use STLS first' : 'connect to the POP3S port';
  await ctx.reply(err(`plaintext authentication is not allowed on an unencrypted connection; ${hint}`, 'AUTH'));
}

export const USER = defineCommand({
  name: 'USER',
  states: ['authorization'],
  parse: (line) => parseUser(line.rest),
  async run(ctx, state, { name }) {
    if (!ctx.plaintextAuthAllowed()) {
      await refusePlaintext(ctx);
      return;
    }
    await ctx.reply(ok(`send PASS for ${name}`));
    return { next: { ...state, pendingUser: name } };
  },
});

export const PASS = defineCommand({
  name: 'PASS',
  states: ['authorization'],
  parse: (line) => parsePass(line.raw),
  async run(ctx, state, { password }) {
    if (!ctx.plaintextAuthAllowed()) {
      await refusePlaintext(ctx);
      return;
    }
    if (state.pendingUser === null) {
      await ctx.reply(err('send USER first'));
      return;
    }
    return login(ctx, state, state.pendingUser, password);
  },
});
