// STLS (RFC 2595 section 4): only in AUTHORIZATION state, only once, only when TLS
// material is loaded. After the handshake the client starts over: a pending USER is
// forgotten and the client must ask CAPA again.
import { parseNone } from '../../proto/args.ts';
import { err } from '../../proto/reply.ts';
import { defineCommand } from '../command.ts';
import { INITIAL_STATE } from '../state.ts';

export const STLS = defineCommand({
  name: 'STLS',
  states: ['authorization'],
  parse: (line) => parseNone(line.rest),
  async run(ctx, state) {
    if (ctx.secure) {
      await ctx.reply(err('already using TLS'));
      return;
    }
    if (!ctx.canStartTls()) {
      await ctx.reply(err('TLS is not available on this server', 'SYS/PERM'));
      return;
    }
    const done = await ctx.startTls('begin TLS negotiation');
    if (!done) return { close: true };
    return { next: { ...INITIAL_STATE, failures: state.failures } };
  },
});
