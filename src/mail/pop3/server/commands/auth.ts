// AUTH (RFC 5034): SASL PLAIN only, with an initial response or after an empty "+ "
// continuation; "*" cancels (section 4). "AUTH" alone lists mechanisms, as RFC 1734
// clients expect. Same TLS rule as USER/PASS.
import { parseAuth } from '../../proto/args.ts';
import { cont, err, formatMultiline } from '../../proto/reply.ts';
import { decodePlain, SASL_CANCEL } from '../../proto/sasl-plain.ts';
import { defineCommand } from '../command.ts';
import { login } from '../login.ts';
import { refusePlaintext } from './user-pass.ts';

export const AUTH = defineCommand({
  name: 'AUTH',
  states: ['authorization'],
  parse: (line) => parseAuth(line.rest),
  async run(ctx, state, { mechanism, initial }) {
    if (mechanism === null) {
      await ctx.write(formatMultiline('SASL mechanisms follow', ctx.plaintextAuthAllowed() ? ['PLAIN'] : []));
      return;
    }
    if (mechanism !== 'PLAIN') {
      await ctx.reply(err(`unsupported SASL mechanism ${mechanism}; supported: PLAIN`));
      return;
    }
    if (!ctx.plaintextAuthAllowed()) {
      await refusePlaintext(ctx);
      return;
    }
    let response = initial;
    if (response === null) {
      await ctx.reply(cont(''));
      response = await ctx.readLine();
      if (response === null) return { close: true };
    }
    if (response.trim() === SASL_CANCEL) {
      await ctx.reply(err('authentication cancelled'));
      return;
    }
    const creds = decodePlain(response.trim());
    if ('error' in creds) {
      await ctx.reply(err(creds.error));
      return;
    }
    // Tandem has no proxy authorization: an authzid must name the same user.
    if (creds.authzid !== '' && creds.authzid.toLowerCase() !== creds.username.toLowerCase()) {
      await ctx.reply(err('authorization identity must be empty or equal to the user name', 'AUTH'));
      return;
    }
    return login(ctx, state, creds.username, creds.password);
  },
});
