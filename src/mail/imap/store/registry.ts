// The IMAP process's entry point to storage: one shared UserStore per user on a volume,
// with its caches under index/imap/ (rebuildable, DESIGN 3.3), mirroring mail/DOMAIN/LOCAL.
import { join, relative } from 'node:path';
import type { VolumeLayout } from '../../core/volume.ts';
import { UserStore } from './user-store.ts';

export class MailIndexes {
  private readonly users = new Map<string, Promise<UserStore>>();

  constructor(private readonly layout: VolumeLayout) {}

  /** The cache directory of a user's folder indexes. */
  cacheDirOf(domain: string, local: string): string {
    return join(this.layout.indexDir, 'imap', relative(this.layout.mailDir, this.layout.maildir(domain, local)));
  }

  /**
   * The store of one user, shared by all of that user's sessions in this process so that
   * they share folder indexes and see each other's changes as events.
   */
  user(domain: string, local: string): Promise<UserStore> {
    const root = this.layout.maildir(domain, local);
    let store = this.users.get(root);
    if (!store) {
      store = UserStore.open(root, this.cacheDirOf(domain, local));
      this.users.set(root, store);
      store.catch(() => this.users.delete(root));
    }
    return store;
  }

  /** On shutdown: closes every user's folder indexes so their caches are marked clean. */
  async close(): Promise<void> {
    const stores = [...this.users.values()];
    this.users.clear();
    await Promise.all(stores.map((p) => p.then((s) => s.close(), () => undefined)));
  }
}
