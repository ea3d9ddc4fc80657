// AUTHENTICATE PLAIN (RFC 9051 6.2.2, RFC 4616) with SASL-IR (RFC 4959) or after an empty
// "+ " continuation; "*" cancels with BAD (RFC 9051: the exchange is cancelled).
import { decodePlain, SASL_CANCEL } from '../../../pop3/proto/sasl-plain.ts';
import { formatContinuation } from '../../proto/response.ts';
import { defineCommand, bad, no } from '../command.ts';
import { login } from '../login.ts';

export const AUTHENTICATE = defineCommand({
  name: 'AUTHENTICATE',
  states: ['not-authenticated'],
  async run(ctx, _state, cmd) {
    if (cmd.mechanism !== 'PLAIN') return no(`unsupported SASL mechanism ${cmd.mechanism.slice(0, 30)}; supported: PLAIN`);
    if (!ctx.plaintextAuthAllowed()) return no('authentication is disabled without TLS; use STARTTLS or port 993 first', { code: 'PRIVACYVIOLATION' });
    let response = cmd.initialResponse;
    if (response === null) {
      ctx.setRawLineMode(true);
      try {
        await ctx.send(formatContinuation(''));
        response = await ctx.readLine();
      } finally {
        ctx.setRawLineMode(false);
      }
      if (response === null) return { status: 'BAD', text: 'connection closed during authentication', close: true };
    }
    if (response.trim() === SASL_CANCEL) return bad('authentication cancelled');
    const creds = decodePlain(response.trim());
    if ('error' in creds) return bad(creds.error);
    // No proxy authorization: an authzid must name the same user.
    if (creds.authzid !== '' && creds.authzid.toLowerCase() !== creds.username.toLowerCase()) {
      return no('authorization identity must be empty or equal to the user name', { code: 'AUTHORIZATIONFAILED' });
    }
    return login(ctx, creds.username, creds.password);
  },
});
