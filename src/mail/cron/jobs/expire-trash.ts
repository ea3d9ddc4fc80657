// expireTrash: expunges messages older than cron.trashDays from Trash and cron.junkDays
// from Junk, by arrival time (INTERNALDATE), through the IMAP store's FolderIndex, so
// UIDs are never reused and IMAP clients see ordinary EXPUNGEs.
import { isTandemError } from '../../../lib/errors.ts';
import { forEachMailbox } from './mailboxes.ts';
import { DAY_MS, type CronJob } from './job.ts';

export const expireTrash: CronJob = {
  name: 'expireTrash',
  description: 'expunge messages older than cron.trashDays from Trash and cron.junkDays from Junk',
  async run({ ctx, now }) {
    const rules = [['Trash', ctx.settings.cron.trashDays], ['Junk', ctx.settings.cron.junkDays]] as const;
    let expunged = 0;
    const { users, errors } = await forEachMailbox(ctx, async (user, store) => {
      for (const [folder, days] of rules) {
        if (days <= 0) continue;
        const ix = await store.folder(folder).catch((e: unknown) => { if (isTandemError(e, 'not-found')) return null; throw e; });
        if (!ix) continue;
        await ix.sync();
        const cutoff = now - days * DAY_MS;
        const old = ix.messages().filter((m) => m.time < cutoff).map((m) => m.uid);
        if (old.length === 0) continue;
        const gone = await ix.expunge(old, { onlyDeleted: false });
        expunged += gone.length;
        ctx.log.info({ event: 'cron.expire.expunged', user: user.address, folder, count: gone.length, olderThanDays: days });
      }
    });
    return `expunged ${expunged} old messages from Trash/Junk of ${users} mailboxes${errors.length ? `; ${errors.length} failed: ${errors[0]}` : ''}`;
  },
};
