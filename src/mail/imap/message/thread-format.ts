// The wire form of THREAD data (RFC 5256 section 4): `(2)(3 6 (4 23)(44 7 96))`. A parent
// with one child continues the same list; several children each get their own list; a
// dummy parent (id null) is a list of its children's lists, `((3)(5))`. Pure, iterative.
import type { ThreadNode } from './api.ts';

/** One thread's contents without the outer parentheses. */
function threadBody(root: ThreadNode): string {
  let out = '';
  // A stack of pending writes: a node to expand, or literal text to emit.
  const stack: Array<ThreadNode | string> = [root];
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (typeof top === 'string') { out += top; continue; }
    const kids = top.children;
    const pending: Array<ThreadNode | string> = [];
    if (top.id !== null) {
      pending.push(String(top.id));
      if (kids.length === 1) pending.push(' ', kids[0]!);
      else if (kids.length > 1) {
        pending.push(' ');
        for (const k of kids) pending.push('(', k, ')');
      }
    } else if (kids.length === 1) pending.push(kids[0]!);
    else for (const k of kids) pending.push('(', k, ')');
    for (let i = pending.length - 1; i >= 0; i--) stack.push(pending[i]!);
  }
  return out;
}

/**
 * The THREAD response data after `* THREAD `.
 * @example formatThreads([{ id: 2, children: [] }, { id: 3, children: [{ id: 6, children: [] }] }]) // '(2)(3 6)'
 */
export function formatThreads(threads: readonly ThreadNode[]): string {
  return threads.map((t) => `(${threadBody(t)})`).join('');
}
