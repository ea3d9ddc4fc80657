// NAMESPACE (RFC 2342, RFC 9051 6.3.10): one personal namespace, "" with separator "/".
import { SEPARATOR } from '../../proto/mailbox-name.ts';
import { namespaceResponse } from '../../proto/untagged.ts';
import { defineCommand, ok } from '../command.ts';

export const NAMESPACE = defineCommand({
  name: 'NAMESPACE',
  states: ['authenticated', 'selected'],
  async run(ctx) {
    await ctx.send(namespaceResponse(SEPARATOR));
    return ok('NAMESPACE completed');
  },
});
