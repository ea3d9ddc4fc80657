// Walking users' mailboxes for the jobs that need the IMAP store: only users whose
// Maildir exists (the store would create one otherwise), one shared MailIndexes per run.
import { stat } from 'node:fs/promises';
import type { MailContext } from '../../core/context.ts';
import type { User } from '../../directory/directory.ts';
import { MailIndexes } from '../../imap/store/registry.ts';
import type { UserStore } from '../../imap/store/user-store.ts';

export async function forEachMailbox(ctx: MailContext, fn: (user: User, store: UserStore) => Promise<void>): Promise<{ users: number; errors: string[] }> {
  const indexes = new MailIndexes(ctx.layout);
  let users = 0;
  const errors: string[] = [];
  try {
    for (const user of ctx.directory.listUsers()) {
      const root = ctx.layout.maildir(user.domain, user.local);
      if (!(await stat(root).catch(() => null))?.isDirectory()) continue;
      users++;
      try {
        await fn(user, await indexes.user(user.domain, user.local));
      } catch (e) {
        // One broken mailbox must not stop the job for everyone else.
        errors.push(`${user.address}: ${(e as Error).message}`);
        ctx.log.warn({ event: 'cron.mailbox.failed', user: user.address, error: (e as Error).message });
      }
    }
  } finally {
    await indexes.close();
  }
  return { users, errors };
}
