// CAPABILITY (RFC 9051 6.1.1): the list depends on TLS and login state.
import { capabilityResponse } from '../../proto/untagged.ts';
import { defineCommand, ok } from '../command.ts';

export const CAPABILITY = defineCommand({
  name: 'CAPABILITY',
  states: ['not-authenticated', 'authenticated', 'selected'],
  async run(ctx) {
    await ctx.send(capabilityResponse(ctx.capabilities()));
    return ok('CAPABILITY completed');
  },
});
