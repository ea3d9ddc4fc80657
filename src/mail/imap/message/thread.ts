// THREAD (RFC 5256 section 3): ORDEREDSUBJECT and REFERENCES. The REFERENCES steps follow
// the RFC's numbering (1A links the References chain, 1B links the message to its last
// reference, 3 prunes dummies, 4 sorts the root set, 5 merges threads by base subject,
// 6 sorts all siblings). Dates are SORT DATE values (sent date, else INTERNALDATE); ties go
// by sequence number. Trees are walked without recursion, so a 100 000-message reply chain
// cannot overflow the stack.
import type { MessageMeta, SearchCandidate, ThreadNode } from './api.ts';
import { extractSubject, asciiCasemap } from './subject.ts';
import { messageIds } from './structure.ts';
import { loadMetas, sortDate } from './sort.ts';
import type { MetaFn } from './sort.ts';

interface Msg { uid: number; seq: number; date: number; subject: string; isReply: boolean }
interface Container { msg: Msg | null; parent: Container | null; children: Container[] }

function msgOf(c: SearchCandidate, m: MessageMeta | null): Msg {
  const s = extractSubject(m?.envelope.subject ?? null);
  return { uid: c.uid, seq: c.seq, date: sortDate(c, m), subject: asciiCasemap(s.base), isReply: s.isReplyOrForward };
}

/** Containers of a forest in post-order (children before parents), iteratively. */
function postOrder(roots: readonly Container[]): Container[] {
  const out: Container[] = [];
  const stack: Array<{ c: Container; done: boolean }> = roots.map((c) => ({ c, done: false })).reverse();
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (top.done) { out.push(top.c); continue; }
    stack.push({ c: top.c, done: true });
    for (let i = top.c.children.length - 1; i >= 0; i--) stack.push({ c: top.c.children[i]!, done: false });
  }
  return out;
}

/** The message a container sorts by: its own, or (a dummy) its first child's. */
function sortMsg(c: Container): Msg | null {
  let x: Container | undefined = c;
  while (x && x.msg === null) x = x.children[0];
  return x?.msg ?? null;
}

function byDate(a: Container, b: Container): number {
  const x = sortMsg(a);
  const y = sortMsg(b);
  if (!x || !y) return 0;
  return x.date - y.date || x.seq - y.seq;
}

function toNodes(roots: readonly Container[]): ThreadNode[] {
  const made = new Map<Container, ThreadNode>();
  for (const c of postOrder(roots)) {
    made.set(c, { id: c.msg ? c.msg.uid : null, children: c.children.map((k) => made.get(k)!) });
  }
  return roots.map((c) => made.get(c)!);
}

function link(parent: Container, child: Container): void {
  child.parent = parent;
  parent.children.push(child);
}

function unlink(child: Container): void {
  const p = child.parent;
  if (!p) return;
  p.children = p.children.filter((x) => x !== child);
  child.parent = null;
}

/** Linking parent -> child would make a loop (child is parent or one of its ancestors). */
function wouldLoop(parent: Container, child: Container): boolean {
  // A childless container is nobody's ancestor: the common case costs nothing.
  if (child.children.length === 0) return parent === child;
  for (let x: Container | null = parent; x; x = x.parent) if (x === child) return true;
  return false;
}

function references(msgs: readonly Msg[], metas: ReadonlyArray<MessageMeta | null>): Container[] {
  const table = new Map<string, Container>();
  const all: Container[] = [];
  const get = (id: string): Container => {
    let c = table.get(id);
    if (!c) {
      c = { msg: null, parent: null, children: [] };
      table.set(id, c);
      all.push(c);
    }
    return c;
  };
  // (1) in sequence order, so the lowest sequence number keeps a duplicated Message-ID.
  const order = msgs.map((_, i) => i).sort((a, b) => msgs[a]!.seq - msgs[b]!.seq);
  for (const i of order) {
    const msg = msgs[i]!;
    const meta = metas[i] ?? null;
    const own = messageIds(meta?.envelope.messageId ?? null)[0];
    let c = own !== undefined ? table.get(own) : undefined;
    if (own !== undefined && (!c || c.msg === null)) {
      c = get(own);
      c.msg = msg;
    } else {
      c = { msg, parent: null, children: [] }; // no id, or a duplicate: a unique one
      all.push(c);
    }
    const refs = (meta?.references ?? []).map(get);
    // (1A) the References chain: each a parent of the next, unless that child already has one.
    for (let k = 0; k + 1 < refs.length; k++) {
      const p = refs[k]!;
      const ch = refs[k + 1]!;
      if (ch.parent === null && !wouldLoop(p, ch)) link(p, ch);
    }
    // (1B) the message under its last reference; the message's own References win.
    const last = refs[refs.length - 1];
    if (c.parent) unlink(c);
    if (last && !wouldLoop(last, c)) link(last, c);
  }
  // (2) the root set
  let roots = all.filter((c) => c.parent === null && (c.msg !== null || c.children.length > 0));
  // (3) prune dummies, children first: an empty dummy goes; a dummy's children move up a
  // level, except into the root set when there are several of them.
  for (const c of postOrder(roots)) {
    const kids: Container[] = [];
    for (const k of c.children) {
      if (k.msg === null) {
        for (const g of k.children) g.parent = c;
        kids.push(...k.children);
      } else kids.push(k);
    }
    c.children = kids;
  }
  roots = roots.flatMap((c) => (c.msg === null && c.children.length <= 1 ? c.children : [c]));
  for (const r of roots) r.parent = null;
  // (4) sort the root set (dummies by their first child, so sort those children first)
  for (const r of roots) if (r.msg === null) r.children.sort(byDate);
  roots.sort(byDate);
  // (5) merge threads whose base subjects match
  const subjectOf = (c: Container): string => sortMsg(c)?.subject ?? '';
  const bySubject = new Map<string, Container>();
  for (const c of roots) {
    const s = subjectOf(c);
    if (s === '') continue;
    const t = bySubject.get(s);
    if (!t || (t.msg !== null && (c.msg === null || (t.msg.isReply && !c.msg.isReply)))) bySubject.set(s, c);
  }
  // Walk the root set; a new dummy joins the end of the walk (and is then its subject's entry).
  const walk = [...roots];
  const gone = new Set<Container>();
  for (let i = 0; i < walk.length; i++) {
    const c = walk[i]!;
    if (gone.has(c)) continue;
    const s = subjectOf(c);
    const t = s === '' ? undefined : bySubject.get(s);
    if (!t || t === c) continue;
    if (t.msg === null && c.msg === null) {
      for (const k of c.children) link(t, k);
      c.children = [];
    } else if (t.msg === null || (c.msg !== null && c.msg.isReply && !t.msg.isReply)) {
      link(t, c);
    } else {
      const dummy: Container = { msg: null, parent: null, children: [] };
      link(dummy, t);
      link(dummy, c);
      gone.add(t);
      walk.push(dummy);
      bySubject.set(s, dummy);
    }
    gone.add(c);
  }
  roots = walk.filter((c) => !gone.has(c));
  // (6) sort every set of siblings, grandchildren first
  for (const c of postOrder(roots)) c.children.sort(byDate);
  roots.sort(byDate);
  return roots;
}

function orderedSubject(msgs: readonly Msg[]): Container[] {
  const sorted = [...msgs].sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0) || a.date - b.date || a.seq - b.seq);
  const roots: Container[] = [];
  let head: Container | null = null;
  for (const m of sorted) {
    const c: Container = { msg: m, parent: null, children: [] };
    if (head && head.msg!.subject === m.subject) link(head, c);
    else { head = c; roots.push(c); }
  }
  return roots.sort(byDate);
}

/** THREAD: trees of candidate UIDs (ThreadNode.id null = a dummy parent, RFC 5256 `((3)(5))`). */
export async function threadMessages(algorithm: 'ORDEREDSUBJECT' | 'REFERENCES', messages: readonly SearchCandidate[], metaFn: MetaFn): Promise<ThreadNode[]> {
  const metas = await loadMetas(messages, metaFn);
  const msgs = messages.map((c, i) => msgOf(c, metas[i]!));
  return toNodes(algorithm === 'REFERENCES' ? references(msgs, metas) : orderedSubject(msgs));
}
