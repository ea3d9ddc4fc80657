// RETR and TOP (RFC 1939 sections 5 and 7): stream the message from the store in
// bounded chunks, byte-stuffed, waiting on socket backpressure, so a huge message costs
// one chunk of memory. A read error after "+OK" cannot become "-ERR" any more: it
// propagates and the session drops the connection so the client sees no false end.
import { parseMsg, parseTop, splitCommand } from '../../proto/args.ts';
import { err, formatReply, MULTILINE_END, ok } from '../../proto/reply.ts';
import { DotStuffer } from '../../proto/stuffing.ts';
import { TopFilter } from '../../proto/top.ts';
import { defineCommand, type SessionContext } from '../command.ts';
import type { Maildrop } from '../maildrop.ts';

const CHUNK = 64 * 1024;

/** Asks for one byte more than is left, so the reader sees the end without another read. */
const readSize = (left: number): number => (left >= 0 && left < CHUNK ? left + 1 : CHUNK);

/** If the client already pipelined "RETR k", start opening message k now. */
function readAheadNext(ctx: SessionContext, drop: Maildrop): void {
  const line = ctx.peekLine();
  const split = line === null ? null : splitCommand(line);
  if (split?.verb !== 'RETR') return;
  const args = parseMsg(split.rest);
  if ('error' in args) return;
  const next = drop.lookup(args.msg);
  if (next.ok) drop.readAhead.start(next.msg.id, readSize(next.msg.size));
}

async function sendMessage(ctx: SessionContext, drop: Maildrop, n: number, bodyLines: number | null): Promise<void> {
  const found = drop.lookup(n);
  if (!found.ok) {
    await ctx.reply(found.reply);
    return;
  }
  let left = found.msg.size;
  const opened = await drop.readAhead.take(found.msg.id, readSize(left));
  if (!opened) {
    await ctx.reply(err(`message ${n} was removed by another client`));
    return;
  }
  const { reader } = opened;
  try {
    if (bodyLines === null) readAheadNext(ctx, drop);
    const stuffer = new DotStuffer();
    const top = bodyLines === null ? null : new TopFilter(bodyLines);
    // A small message leaves in one packet: status line, body and terminator corked together.
    ctx.cork();
    await ctx.write(formatReply(ok(top ? 'top of message follows' : `${found.msg.size} octets`)));
    let chunk = opened.first;
    while (chunk && !ctx.closed) {
      left -= chunk.length;
      await ctx.write(stuffer.push(top ? top.push(chunk) : chunk));
      if (top?.done) break;
      chunk = await reader.read(readSize(left));
    }
    const end = stuffer.end();
    await ctx.write(end.length === MULTILINE_END.length ? MULTILINE_END : end);
  } finally {
    ctx.uncork();
    // Not awaited: the response is complete, and the next pipelined command need not
    // wait a thread-pool round trip for the descriptor to close.
    reader.close().catch((e: unknown) => ctx.event('pop3.close-failed', { error: (e as Error).message }));
  }
}

export const RETR = defineCommand({
  name: 'RETR',
  states: ['transaction'],
  parse: (line) => parseMsg(line.rest),
  async run(ctx, state, { msg }) {
    await sendMessage(ctx, state.maildrop, msg, null);
  },
});

export const TOP = defineCommand({
  name: 'TOP',
  states: ['transaction'],
  parse: (line) => parseTop(line.rest),
  async run(ctx, state, { msg, lines }) {
    await sendMessage(ctx, state.maildrop, msg, lines);
  },
});
