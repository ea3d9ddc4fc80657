// CAPA (RFC 2449 section 5) and NOOP (RFC 1939 section 5). CAPA is valid in every
// state before UPDATE and its answer follows the connection's TLS and login rules.
import { parseNone } from '../../proto/args.ts';
import { formatMultiline, ok } from '../../proto/reply.ts';
import { capabilities } from '../../proto/capa.ts';
import { defineCommand } from '../command.ts';

export const CAPA = defineCommand({
  name: 'CAPA',
  states: ['authorization', 'transaction'],
  parse: (line) => parseNone(line.rest),
  async run(ctx, state) {
    const caps = capabilities({
      canStartTls: state.kind === 'authorization' && ctx.canStartTls(),
      plaintextAuthAllowed: ctx.plaintextAuthAllowed(),
      inTransaction: state.kind === 'transaction',
      implementation: 'Tandem',
    });
    await ctx.write(formatMultiline('capability list follows', caps));
  },
});

export const NOOP = defineCommand({
  name: 'NOOP',
  states: ['transaction'],
  parse: (line) => parseNone(line.rest),
  async run(ctx) {
    await ctx.reply(ok(''));
  },
});
