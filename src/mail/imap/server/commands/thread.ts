// THREAD and UID THREAD (RFC 5256 4): ORDEREDSUBJECT and REFERENCES over the messages the
// criteria select; the message layer builds the trees, this file writes them.
import type { ThreadNode } from '../../message/api.ts';
import { defineCommand, ok, no, bad, uidOnlyExpunges } from '../command.ts';
import { charsetSupported, runSearch, SEARCH_CHARSETS } from '../search.ts';

/** One thread's inner text (RFC 5256 4): "a b (c)(d e)"; a node without id only groups. */
export function threadText(node: ThreadNode, id: (n: number) => number): string {
  const parts: string[] = [];
  if (node.id !== null) parts.push(String(id(node.id)));
  if (node.children.length === 1) parts.push(threadText(node.children[0]!, id));
  else if (node.children.length > 1) parts.push(node.children.map((c) => `(${threadText(c, id)})`).join(''));
  return parts.join(' ');
}

export const THREAD = defineCommand({
  name: 'THREAD',
  states: ['selected'],
  expungesAllowed: uidOnlyExpunges,
  async run(ctx, state, cmd) {
    if (cmd.algorithm !== 'ORDEREDSUBJECT' && cmd.algorithm !== 'REFERENCES') return bad(`unknown THREAD algorithm ${cmd.algorithm.slice(0, 40)}; supported: ORDEREDSUBJECT, REFERENCES`);
    if (!charsetSupported(cmd.charset)) return no(`charset ${cmd.charset.slice(0, 40)} is not supported`, { code: 'BADCHARSET', charsets: SEARCH_CHARSETS });
    const found = await runSearch(ctx, state.mailbox, cmd.criteria);
    const roots = await (await ctx.deps.messages()).thread(cmd.algorithm, found);
    const seqOf = new Map(found.map((c) => [c.uid, c.seq]));
    const id = (n: number): number => (cmd.uid ? n : seqOf.get(n) ?? n);
    const body = roots.map((r) => `(${threadText(r, id)})`).join('');
    await ctx.send(Buffer.from(`* THREAD${body ? ` ${body}` : ''}\r\n`));
    return ok(`${cmd.uid ? 'UID ' : ''}THREAD completed`);
  },
});
