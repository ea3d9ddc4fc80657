// ID (RFC 2971): the client's fields are logged (they help support); the server says
// only its name, not its version, which would help an attacker more than a user.
import { idResponse } from '../../proto/untagged.ts';
import { defineCommand, ok } from '../command.ts';

export const ID = defineCommand({
  name: 'ID',
  states: ['not-authenticated', 'authenticated', 'selected'],
  async run(ctx, _state, cmd) {
    if (cmd.params) ctx.event('imap.client-id', { client: Object.fromEntries(cmd.params.slice(0, 30).map(([k, v]) => [k.slice(0, 30), v?.slice(0, 200) ?? null])) });
    await ctx.send(idResponse([['name', 'Tandem'], ['vendor', 'Tandem']]));
    return ok('ID completed');
  },
});
