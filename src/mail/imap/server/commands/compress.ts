// COMPRESS DEFLATE (RFC 4978): the tagged OK goes out uncompressed, then both directions
// are raw DEFLATE streams. Once only; not before login, so TLS (if any) is already on.
import { formatTagged } from '../../proto/response.ts';
import { defineCommand, bad, no } from '../command.ts';

export const COMPRESS = defineCommand({
  name: 'COMPRESS',
  states: ['authenticated', 'selected'],
  async run(ctx, _state, cmd) {
    if (cmd.mechanism !== 'DEFLATE') return bad(`unknown compression mechanism ${cmd.mechanism.slice(0, 30)}; supported: DEFLATE`);
    if (ctx.compressed) return no('compression is already active', { code: 'COMPRESSIONACTIVE' });
    await ctx.send(formatTagged(cmd.tag, 'OK', 'DEFLATE active'));
    ctx.startDeflate();
    return { status: 'OK', text: 'DEFLATE active', sent: true };
  },
});
