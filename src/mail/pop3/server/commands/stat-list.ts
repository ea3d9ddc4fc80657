// STAT, LIST and UIDL (RFC 1939 sections 5 and 7). Sizes are exact file sizes (files
// hold CRLF as received); the UIDL is the Maildir base name, which never changes
// across flag changes, restarts or failover, so clients never download twice.
import { parseNone, parseOptionalMsg } from '../../proto/args.ts';
import { formatMultiline, ok } from '../../proto/reply.ts';
import { defineCommand } from '../command.ts';

export const STAT = defineCommand({
  name: 'STAT',
  states: ['transaction'],
  parse: (line) => parseNone(line.rest),
  async run(ctx, state) {
    const { count, octets } = state.maildrop.stat();
    await ctx.reply(ok(`${count} ${octets}`));
  },
});

export const LIST = defineCommand({
  name: 'LIST',
  states: ['transaction'],
  parse: (line) => parseOptionalMsg(line.rest),
  async run(ctx, state, { msg }) {
    const drop = state.maildrop;
    if (msg !== null) {
      const found = drop.lookup(msg);
      await ctx.reply(found.ok ? ok(`${msg} ${found.msg.size}`) : found.reply);
      return;
    }
    const { count, octets } = drop.stat();
    await ctx.write(formatMultiline(`${count} messages (${octets} octets)`, drop.visible().map(({ n, msg: m }) => `${n} ${m.size}`)));
  },
});

export const UIDL = defineCommand({
  name: 'UIDL',
  states: ['transaction'],
  parse: (line) => parseOptionalMsg(line.rest),
  async run(ctx, state, { msg }) {
    const drop = state.maildrop;
    if (msg !== null) {
      const found = drop.lookup(msg);
      await ctx.reply(found.ok ? ok(`${msg} ${found.msg.id}`) : found.reply);
      return;
    }
    await ctx.write(formatMultiline('unique-id listing follows', drop.visible().map(({ n, msg: m }) => `${n} ${m.id}`)));
  },
});
