// LOGOUT (RFC 9051 6.1.3): BYE, then the tagged OK, then the connection closes.
import { formatUntaggedStatus } from '../../proto/response.ts';
import { defineCommand } from '../command.ts';

export const LOGOUT = defineCommand({
  name: 'LOGOUT',
  states: ['not-authenticated', 'authenticated', 'selected'],
  async run(ctx) {
    await ctx.send(formatUntaggedStatus('BYE', 'logging out'));
    return { status: 'OK', text: 'LOGOUT completed', next: { kind: 'logout' }, close: true };
  },
});
