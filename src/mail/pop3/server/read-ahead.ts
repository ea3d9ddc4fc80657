// Read-ahead for pipelined RETR (RFC 2449 section 6.6): while one message is sent, the
// next RETR the client already queued is opened and its first chunk read, hiding two
// thread-pool round trips per message. Holds at most one open message and one chunk.
import type { MailboxSnapshot, MessageReader } from './store.ts';

/** A message opened for sending, with its first chunk already read (null: empty). */
export interface OpenedMessage {
  readonly reader: MessageReader;
  readonly first: Buffer | null;
}

async function openWithFirst(snapshot: MailboxSnapshot, id: string, firstMax: number): Promise<OpenedMessage | null> {
  const reader = await snapshot.open(id);
  if (!reader) return null;
  try {
    return { reader, first: await reader.read(firstMax) };
  } catch (e) {
    await reader.close().catch(() => undefined);
    throw e;
  }
}

export class ReadAhead {
  private slot: { id: string; firstMax: number; pending: Promise<OpenedMessage | null> } | null = null;

  constructor(private readonly snapshot: MailboxSnapshot) {}

  /** Opens `id` now for a later take(); ignored if something is already read ahead. */
  start(id: string, firstMax: number): void {
    if (this.slot) return;
    const pending = openWithFirst(this.snapshot, id, firstMax);
    // A failure is reported by take(), which retries; never an unhandled rejection.
    pending.catch(() => undefined);
    this.slot = { id, firstMax, pending };
  }

  /** The message, from the read-ahead when it matches, else opened now. */
  async take(id: string, firstMax: number): Promise<OpenedMessage | null> {
    const slot = this.slot;
    this.slot = null;
    if (slot && slot.id === id && slot.firstMax === firstMax) {
      const opened = await slot.pending.catch(() => null);
      if (opened) return opened;
    } else if (slot) {
      discard(slot.pending);
    }
    return openWithFirst(this.snapshot, id, firstMax);
  }

  /** Closes whatever was read ahead (the session ends or the client changed its mind). */
  dispose(): void {
    if (this.slot) discard(this.slot.pending);
    this.slot = null;
  }
}

function discard(pending: Promise<OpenedMessage | null>): void {
  void pending.then((o) => o?.reader.close(), () => undefined).catch(() => undefined);
}
