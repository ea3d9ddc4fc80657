// One POP3 session per mailbox at a time (RFC 1939 section 8: the server "acquires an
// exclusive-access lock on the maildrop"). The lock lives in this process's memory on
// purpose: exactly one pop3 process serves a volume (DESIGN 3.4, one active node per
// failover group), and a lock that lives only in memory dies with the process.
// A lock file under run/ would survive a crash or a failover to the other node and
// then lock users out until someone proved it stale, which needs the pid of a process
// on another host; the in-memory lock cannot go stale, so it is the robust choice here.

/** A held lock; release() is idempotent so every exit path may call it. */
export interface MailboxLock {
  readonly mailbox: string;
  release(): void;
}

export class MailboxLocks {
  private readonly holders = new Map<string, string>();

  /** Takes the lock for `mailbox` (a canonical address) or returns null if it is held. */
  acquire(mailbox: string, sessionId: string): MailboxLock | null {
    if (this.holders.has(mailbox)) return null;
    this.holders.set(mailbox, sessionId);
    let held = true;
    return {
      mailbox,
      release: () => {
        if (!held) return;
        held = false;
        if (this.holders.get(mailbox) === sessionId) this.holders.delete(mailbox);
      },
    };
  }

  /** The session holding `mailbox`, if any (for logs and tests). */
  holder(mailbox: string): string | undefined {
    return this.holders.get(mailbox);
  }

  get size(): number {
    return this.holders.size;
  }
}
