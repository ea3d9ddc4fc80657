// indexMaintenance: a full resynchronisation of every folder's IMAP index with its
// Maildir (which also compacts a uidlist full of dead lines), then the caches are
// closed clean, so the next IMAP login opens them without a rescan.
import { forEachMailbox } from './mailboxes.ts';
import type { CronJob } from './job.ts';

export const indexMaintenance: CronJob = {
  name: 'indexMaintenance',
  description: 'resynchronise and compact the IMAP index of every folder; leave clean caches',
  async run({ ctx }) {
    let folders = 0;
    const { users, errors } = await forEachMailbox(ctx, async (_user, store) => {
      for (const f of await store.list()) {
        const ix = await store.folder(f.name);
        await ix.sync(true);
        folders++;
      }
    });
    return `checked ${folders} folders of ${users} mailboxes${errors.length ? `; ${errors.length} failed: ${errors[0]}` : ''}`;
  },
};
