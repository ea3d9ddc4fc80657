// LOGIN (RFC 9051 6.2.3): refused without TLS (LOGINDISABLED) unless the connection is on
// loopback and auth.allowPlaintextOnLoopback is set.
import { defineCommand, no } from '../command.ts';
import { login } from '../login.ts';

export const LOGIN = defineCommand({
  name: 'LOGIN',
  states: ['not-authenticated'],
  async run(ctx, _state, cmd) {
    if (!ctx.plaintextAuthAllowed()) return no('LOGIN is disabled without TLS; use STARTTLS or port 993 first', { code: 'PRIVACYVIOLATION' });
    return login(ctx, cmd.username, cmd.password);
  },
});
