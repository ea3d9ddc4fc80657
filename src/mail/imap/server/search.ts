// Runs SEARCH criteria over the session's view (RFC 9051 6.4.4): the candidates are the
// messages the client knows (sequence numbers as it sees them); the message layer
// evaluates the keys. Shared by SEARCH, SORT and THREAD.
import type { SearchKey } from '../proto/search-types.ts';
import type { SearchCandidate } from '../message/api.ts';
import type { SessionContext } from './command.ts';
import type { SelectedMailbox } from './selected.ts';

/** RFC 9051 6.4.4: US-ASCII and UTF-8 must be supported; we support no others. */
export const SEARCH_CHARSETS = ['UTF-8', 'US-ASCII'];

export function charsetSupported(charset: string | null): boolean {
  return charset === null || SEARCH_CHARSETS.includes(charset.toUpperCase());
}

export function candidates(mb: SelectedMailbox): SearchCandidate[] {
  const out: SearchCandidate[] = [];
  for (const v of mb.all()) {
    if (!v.m) continue;
    out.push({
      uid: v.uid, seq: v.seq, flags: mb.ix.flagsOf(v.m), internalDateMs: v.m.time, size: v.m.size,
      modseq: v.m.modseq, path: mb.ix.pathOf(v.m), id: v.m.id,
    });
  }
  return out;
}

export function usesModseq(key: SearchKey): boolean {
  switch (key.key) {
    case 'MODSEQ': return true;
    case 'NOT': return usesModseq(key.inner);
    case 'OR': return usesModseq(key.left) || usesModseq(key.right);
    case 'AND': return key.keys.some(usesModseq);
    default: return false;
  }
}

/** The matching candidates, in UID order. */
export async function runSearch(ctx: SessionContext, mb: SelectedMailbox, criteria: SearchKey): Promise<SearchCandidate[]> {
  const all = candidates(mb);
  const layer = await ctx.deps.messages();
  const uids = new Set(await layer.search(criteria, all, {
    nowMs: Date.now(), maxUid: mb.maxUid, maxSeq: mb.exists, saved: mb.saved,
    tzOffsetMinutes: -new Date().getTimezoneOffset(),
  }));
  return all.filter((c) => uids.has(c.uid));
}
