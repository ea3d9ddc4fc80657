// Cross-process change detection for one folder: SMTP delivers into new/ and POP3 or other
// MUAs touch cur/ from other processes; inotify (fs.watch) wakes a sync, a poll backs it up.
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { FolderIndex } from './folder-index.ts';

export interface WatchOptions {
  /** Fallback poll, for file systems where inotify misses changes (NFS). Default 5 s. */
  intervalMs?: number;
  /** Events within this window share one sync (a delivery is several events). Default 20 ms. */
  debounceMs?: number;
  onError?: (err: unknown) => void;
}

export interface FolderWatch { close(): void }

/**
 * Keeps `ix` in sync with changes made by other processes; its 'change' event then
 * reaches every subscribed session (IDLE). The sync itself is cheap when nothing changed.
 * @example const w = watchFolder(ix); ix.on('change', notifyIdleSessions); ... w.close();
 */
export function watchFolder(ix: FolderIndex, opts: WatchOptions = {}): FolderWatch {
  const onError = opts.onError ?? (() => undefined);
  let timer: NodeJS.Timeout | null = null;
  const kick = (): void => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      ix.sync().catch(onError);
    }, opts.debounceMs ?? 20);
    timer.unref();
  };
  const watchers: FSWatcher[] = [];
  for (const sub of ['new', 'cur']) {
    try {
      const w = watch(join(ix.dir, sub), kick);
      w.on('error', onError);
      w.unref();
      watchers.push(w);
    } catch (err) {
      onError(err); // the poll still covers this folder
    }
  }
  const poll = setInterval(() => ix.sync().catch(onError), opts.intervalMs ?? 5000);
  poll.unref();
  return {
    close() {
      for (const w of watchers) w.close();
      clearInterval(poll);
      if (timer) clearTimeout(timer);
    },
  };
}
