// Pop3Store over Maildir++ (DESIGN 3.3): the maildrop is the INBOX (new/ and cur/ of
// the user's root). Other processes (IMAP, delivery) change the folder while a POP3
// session runs, so a message is found again by its stable id when its file was renamed.
import { stat } from 'node:fs/promises';
import { open as openCb, read as readCb, close as closeCb } from 'node:fs';
import { join } from 'node:path';
import type { VolumeLayout } from '../../core/volume.ts';
import type { User } from '../../directory/directory.ts';
import { listMaildir, removeMessages } from '../../storage/maildir.ts';
import { addUsage } from '../../storage/quota.ts';
import type { MailboxSnapshot, MessageReader, MessageRef, Pop3Store } from './store.ts';

// Plain descriptors with the callback API: measurably cheaper per message than
// FileHandle objects, which matters when a client RETRs thousands of small messages.
function openFd(path: string): Promise<number> {
  return new Promise((resolve, reject) => openCb(path, 'r', (e, fd) => (e ? reject(e) : resolve(fd))));
}

class FileReader implements MessageReader {
  private eof = false;
  private closed = false;

  constructor(private readonly fd: number) {}

  read(max: number): Promise<Buffer | null> {
    if (this.eof) return Promise.resolve(null);
    // A fresh buffer per chunk: the socket keeps a reference until it is flushed.
    const buf = Buffer.allocUnsafe(max);
    return new Promise((resolve, reject) => readCb(this.fd, buf, 0, max, null, (e, bytesRead) => {
      if (e) return reject(e);
      // A regular file reads short only at its end: skip the extra read that would return 0.
      if (bytesRead < max) this.eof = true;
      resolve(bytesRead === 0 ? null : buf.subarray(0, bytesRead));
    }));
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve, reject) => closeCb(this.fd, (e) => (e ? reject(e) : resolve())));
  }
}

type Listed = Awaited<ReturnType<typeof listMaildir>>[number];

/** Microseconds from a "<sec>.M<usec>P<pid>..." name (Tandem, Dovecot, Courier), or -1. */
function usecOf(id: string): number {
  const m = /^\d+\.M(\d{1,6})P/.exec(id);
  return m ? Number(m[1]) : -1;
}

/**
 * Delivery order: by second, then by the microseconds in the name. listMaildir breaks
 * ties inside one second by comparing names as strings, where "M99" sorts after
 * "M123"; POP3 clients number messages oldest first, so compare the numbers instead.
 */
function byDelivery(a: Listed, b: Listed): number {
  return a.time - b.time || usecOf(a.id) - usecOf(b.id) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

class MaildirSnapshot implements MailboxSnapshot {
  readonly messages: readonly MessageRef[];
  private readonly paths = new Map<string, string>();

  constructor(private readonly root: string, listed: Listed[]) {
    this.messages = [...listed].sort(byDelivery).map((m) => ({ id: m.id, size: m.size }));
    for (const m of listed) this.paths.set(m.id, m.path);
  }

  /** Re-reads the folder so renamed files (new/ -> cur/, flag changes) are found by id. */
  private async refreshPaths(): Promise<void> {
    for (const m of await listMaildir(this.root)) if (this.paths.has(m.id)) this.paths.set(m.id, m.path);
  }

  async open(id: string): Promise<MessageReader | null> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const path = this.paths.get(id);
      if (path === undefined) return null;
      try {
        return new FileReader(await openFd(path));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        await this.refreshPaths();
      }
    }
    return null;
  }

  async remove(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    // Resolve current names first: a file renamed since login would otherwise survive.
    const wanted = new Set(ids);
    const current = (await listMaildir(this.root)).filter((m) => wanted.has(m.id));
    const removed = await removeMessages(current.map((m) => m.path));
    if (removed > 0 && await stat(join(this.root, 'maildirsize')).catch(() => null)) {
      // maildirsize is a cache (see quota.ts); when another client removed one of these
      // files between the listing and the unlink, this delta over-counts slightly, and
      // the next full rebuild corrects it.
      const bytes = current.reduce((sum, m) => sum + m.size, 0);
      await addUsage(this.root, { bytes: -bytes, count: -removed });
    }
    return removed;
  }
}

/** The maildir backend: one snapshot per login, of the user's INBOX. */
export class MaildirPop3Store implements Pop3Store {
  constructor(private readonly layout: VolumeLayout) {}

  async snapshot(user: User): Promise<MailboxSnapshot> {
    const root = this.layout.maildir(user.domain, user.local);
    return new MaildirSnapshot(root, await listMaildir(root));
  }
}
