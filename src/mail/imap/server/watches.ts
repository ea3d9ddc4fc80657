// Which folders this process watches for other processes' changes: only those some
// session has selected (docs/imap-store.md), one watch per folder however many sessions,
// closed when the last one leaves. Also tells sessions when their folder disappears
// (DELETE or RENAME here, or another program removing the directory).
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FolderIndex } from '../store/folder-index.ts';
import { watchFolder, type FolderWatch } from '../store/watch.ts';

/** `reason` null: removed by another program (the session names the mailbox itself). */
export type GoneListener = (reason: string | null) => void;

interface Entry {
  readonly ix: FolderIndex;
  readonly watch: FolderWatch;
  readonly listeners: Set<GoneListener>;
}

export class FolderWatches {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly opts: { intervalMs?: number } = {}) {}

  /** Starts (or joins) the watch of `ix`; returns the function that leaves it. */
  acquire(ix: FolderIndex, onGone: GoneListener): () => void {
    let entry = this.entries.get(ix.dir);
    if (!entry || entry.ix !== ix) {
      entry?.watch.close();
      const listeners = new Set<GoneListener>();
      const watch = watchFolder(ix, { intervalMs: this.opts.intervalMs, onError: () => void this.checkGone(ix.dir) });
      entry = { ix, watch, listeners };
      this.entries.set(ix.dir, entry);
    }
    const e = entry;
    e.listeners.add(onGone);
    return () => {
      e.listeners.delete(onGone);
      if (e.listeners.size === 0 && this.entries.get(ix.dir) === e) {
        e.watch.close();
        this.entries.delete(ix.dir);
      }
    };
  }

  /** Number of folders watched (for tests and the log). */
  get size(): number { return this.entries.size; }

  /** A sync failed: if the folder's directory is gone, its sessions must leave it. */
  private async checkGone(dir: string): Promise<void> {
    const alive = await stat(join(dir, 'cur')).then((s) => s.isDirectory(), () => false);
    if (!alive) this.gone(dir, null);
  }

  /** The folder at `dir` (and with `children` its Maildir++ children `dir.*`) was deleted or renamed. */
  goneUnder(dir: string, reason: string, children: boolean): void {
    for (const key of [...this.entries.keys()]) {
      if (key === dir || (children && key.startsWith(`${dir}.`))) this.gone(key, reason);
    }
  }

  private gone(dir: string, reason: string | null): void {
    const e = this.entries.get(dir);
    if (!e) return;
    for (const l of [...e.listeners]) l(reason);
  }

  closeAll(): void {
    for (const e of this.entries.values()) e.watch.close();
    this.entries.clear();
  }
}
