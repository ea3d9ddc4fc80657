// STARTTLS (RFC 9051 6.2.1): the tagged OK, then the handshake on the same connection.
// Input the client pipelined after STARTTLS is dropped, never read (command injection).
import { defineCommand, bad, no } from '../command.ts';

export const STARTTLS = defineCommand({
  name: 'STARTTLS',
  states: ['not-authenticated'],
  async run(ctx, _state, cmd) {
    if (ctx.secure) return bad('TLS is already active');
    if (!ctx.canStartTls()) return no('TLS is not available on this server (no usable certificate)');
    const done = await ctx.startTls(cmd.tag);
    return { status: 'OK', text: 'TLS active', sent: true, close: !done };
  },
});
