// LIST patterns (RFC 9051 6.3.9): "*" matches anything, "%" anything but the separator.
// Names compare case-sensitively except INBOX (RFC 9051 5.1). Pure.
import { normalizeMailboxName, SEPARATOR } from '../proto/mailbox-name.ts';

/** A matcher for reference + pattern, already decoded to Unicode. */
export function listMatcher(reference: string, pattern: string): (name: string) => boolean {
  const full = normalizeMailboxName(reference + pattern);
  let re = '^';
  for (const ch of full) {
    if (ch === '*') re += '.*';
    else if (ch === '%') re += `[^${SEPARATOR}]*`;
    else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  const regex = new RegExp(`${re}$`, 'su');
  return (name) => regex.test(name);
}

/**
 * The names LIST considers: every folder plus every parent level that has no folder of
 * its own (shown \NonExistent, RFC 5258 3), so "%" can walk down to deep folders.
 */
export function withParents(names: readonly string[]): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const n of names) out.set(n, true);
  for (const n of names) {
    const levels = n.split(SEPARATOR);
    for (let i = 1; i < levels.length; i++) {
      const p = levels.slice(0, i).join(SEPARATOR);
      if (!out.has(p)) out.set(p, false);
    }
  }
  return out;
}
