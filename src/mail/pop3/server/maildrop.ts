// The session's view of the maildrop (RFC 1939 sections 5-6): message numbers fixed at
// login, messages marked deleted but kept until QUIT, RSET unmarking them. No I/O of
// its own: the store behind the snapshot is touched only by the read and remove paths.
import { err, type Reply } from '../proto/reply.ts';
import { ReadAhead } from './read-ahead.ts';
import type { MailboxSnapshot, MessageRef } from './store.ts';

export type Lookup = { readonly ok: true; readonly msg: MessageRef } | { readonly ok: false; readonly reply: Reply };

export class Maildrop {
  private readonly deleted = new Set<number>();
  /** For pipelined RETR; closed by the session when it ends (see session.ts). */
  readonly readAhead: ReadAhead;

  constructor(readonly snapshot: MailboxSnapshot) {
    this.readAhead = new ReadAhead(snapshot);
  }

  /** Finds message `n` (1-based); deleted and unknown numbers give the RFC's -ERR. */
  lookup(n: number): Lookup {
    const msg = this.snapshot.messages[n - 1];
    if (!msg) return { ok: false, reply: err(`no such message: ${n} (maildrop has ${this.snapshot.messages.length})`) };
    if (this.deleted.has(n)) return { ok: false, reply: err(`message ${n} already deleted`) };
    return { ok: true, msg };
  }

  /** Messages not marked deleted, with their numbers (LIST, UIDL). */
  visible(): Array<{ n: number; msg: MessageRef }> {
    const out: Array<{ n: number; msg: MessageRef }> = [];
    this.snapshot.messages.forEach((msg, i) => {
      if (!this.deleted.has(i + 1)) out.push({ n: i + 1, msg });
    });
    return out;
  }

  /** STAT (RFC 1939 section 5): deleted messages are not counted. */
  stat(): { count: number; octets: number } {
    let count = 0;
    let octets = 0;
    for (const { msg } of this.visible()) {
      count++;
      octets += msg.size;
    }
    return { count, octets };
  }

  markDeleted(n: number): void {
    this.deleted.add(n);
  }

  /** RSET: unmarks everything; returns how many were unmarked. */
  reset(): number {
    const n = this.deleted.size;
    this.deleted.clear();
    return n;
  }

  deletedIds(): string[] {
    return [...this.deleted].sort((a, b) => a - b).map((n) => this.snapshot.messages[n - 1]!.id);
  }
}
