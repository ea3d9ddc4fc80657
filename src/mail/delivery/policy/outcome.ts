// From per-copy results back to per-recipient results. A recipient succeeded if any
// copy it expanded to was stored; its failure is the first failure of its copies, a
// temporary one first (so a retry is asked for only when nothing was kept). Copies that
// failed while their recipient still counts as delivered are "stranded": the caller
// retries them through the queue (temporary) or bounces them (permanent) on their own,
// since retrying the whole recipient would duplicate the stored copies. Failed copies
// of a list distribution are always stranded: they are the list owner's business and
// go to the list's bounce address, never to the poster. Pure.
import type { Expansion } from './expand.ts';
import { REPLIES, isTemporary, type Reply } from '../../smtp/proto/reply.ts';

/** Result key of one copy: group index, kind and final address. */
export function copyKey(group: number, kind: 'mailbox' | 'remote', address: string): string {
  return `${group}:${kind}:${address}`;
}

export interface Outcome {
  readonly recipients: Array<{ recipient: string; ok: boolean; reply: Reply }>;
  /** Failed copies whose recipient counts as delivered (see above); group = index in Expansion.groups. */
  readonly stranded: Array<{ group: number; address: string; reply: Reply }>;
}

/** `results` maps copyKey() to null (stored) or the failure. */
export function summarize(recipients: readonly string[], exp: Expansion, results: ReadonlyMap<string, Reply | null>, okReply: Reply = REPLIES.accepted('')): Outcome {
  const perOrigin = new Map<string, { ok: number; failures: Array<{ group: number; address: string; reply: Reply }> }>();
  const bucket = (o: string) => {
    let b = perOrigin.get(o);
    if (!b) perOrigin.set(o, (b = { ok: 0, failures: [] }));
    return b;
  };
  const stranded: Outcome['stranded'] = [];
  // Failed direct copies with their origins, to decide below which ones are stranded.
  const failedDirect: Array<{ group: number; address: string; reply: Reply; origins: string[] }> = [];
  exp.groups.forEach((g, i) => {
    const copies = [
      ...g.mailboxes.map((m) => ({ key: copyKey(i, 'mailbox', m.user.address), address: m.user.address, origins: m.origins })),
      ...g.remotes.map((r) => ({ key: copyKey(i, 'remote', r.address), address: r.address, origins: r.origins })),
    ];
    for (const c of copies) {
      const res = results.get(c.key) ?? null;
      if (g.list) {
        // A list post counts as delivered to the list once it was expanded.
        if (res) stranded.push({ group: i, address: c.address, reply: res });
        for (const o of c.origins) bucket(o).ok++;
        continue;
      }
      if (res) failedDirect.push({ group: i, address: c.address, reply: res, origins: c.origins });
      for (const o of c.origins) {
        if (res) bucket(o).failures.push({ group: i, address: c.address, reply: res });
        else bucket(o).ok++;
      }
    }
  });
  const out: Outcome['recipients'] = recipients.map((r) => {
    const failed = exp.failures.find((f) => f.recipient === r);
    if (failed) return { recipient: r, ok: false, reply: failed.reply };
    // No bucket: the recipient was a list with no members, which accepts the post.
    const b = perOrigin.get(r);
    if (!b || b.ok > 0 || b.failures.length === 0) return { recipient: r, ok: true, reply: okReply };
    const first = b.failures.find((f) => isTemporary(f.reply)) ?? b.failures[0]!;
    return { recipient: r, ok: false, reply: first.reply };
  });
  // A failed copy is stranded only when every recipient it came from counts as
  // delivered; if one of them failed as a whole, that recipient's retry covers the copy.
  const okSet = new Set(out.filter((o) => o.ok).map((o) => o.recipient));
  for (const f of failedDirect) {
    if (f.origins.every((o) => okSet.has(o))) stranded.push({ group: f.group, address: f.address, reply: f.reply });
  }
  return { recipients: out, stranded };
}
