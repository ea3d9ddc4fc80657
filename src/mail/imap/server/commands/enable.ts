// ENABLE (RFC 5161, RFC 9051 6.3.1): IMAP4rev2, CONDSTORE, QRESYNC (implies CONDSTORE,
// RFC 7162 3.2.3), UTF8=ACCEPT (RFC 6855). Unknown names are ignored, as the RFC says.
import { enabledResponse } from '../../proto/untagged.ts';
import { defineCommand, ok } from '../command.ts';

const SUPPORTED = new Set(['IMAP4REV2', 'CONDSTORE', 'QRESYNC', 'UTF8=ACCEPT']);

export const ENABLE = defineCommand({
  name: 'ENABLE',
  states: ['authenticated'],
  async run(ctx, _state, cmd) {
    const now: string[] = [];
    for (const raw of cmd.capabilities) {
      const cap = raw.toUpperCase();
      if (!SUPPORTED.has(cap) || ctx.enabled.has(cap)) continue;
      ctx.enabled.add(cap);
      now.push(cap === 'IMAP4REV2' ? 'IMAP4rev2' : cap);
    }
    if (ctx.enabled.has('QRESYNC') || ctx.enabled.has('CONDSTORE')) ctx.condstore = true;
    await ctx.send(enabledResponse(now));
    return ok('ENABLE completed');
  },
});
