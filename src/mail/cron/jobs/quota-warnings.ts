// quotaWarnings: compares each user's mailbox usage with its quota; at each threshold of
// cron.quotaWarnPercents crossed the user gets one message in the INBOX. The levels
// already warned about live in run/cron/quota-warned.json, so a user is not warned
// again each hour, only after usage dropped below a threshold and crossed it again.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stat } from 'node:fs/promises';
import { deliverToMaildir } from '../../storage/maildir.ts';
import { addUsage, readUsage } from '../../storage/quota.ts';
import { replaceFileDurable, mkdirDurable } from '../../../lib/durable.ts';
import { cronDir } from '../state.ts';
import { quotaDecision } from '../policy/quota.ts';
import type { CronJob } from './job.ts';

type Warned = Record<string, number>;

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

export function quotaWarningMessage(opts: { to: string; from: string; hostname: string; percent: number; used: number; quota: number; now: number }): Buffer {
  const date = new Date(opts.now).toUTCString().replace('GMT', '+0000');
  const id = `${opts.now.toString(36)}.${randomBytes(6).toString('hex')}@${opts.hostname}`;
  return Buffer.from([
    `From: Mail system <${opts.from}>`,
    `To: <${opts.to}>`,
    `Subject: Your mailbox is ${opts.percent}% full`,
    `Date: ${date}`,
    `Message-ID: <${id}>`,
    'Auto-Submitted: auto-generated',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Your mailbox ${opts.to} uses ${mib(opts.used)} of its ${mib(opts.quota)} quota (${Math.floor((opts.used / opts.quota) * 100)}%).`,
    '',
    'When it is full, new mail for you is held back or refused. Please delete',
    'messages you no longer need (and empty the Trash), or ask your administrator',
    'for more space.',
    '',
  ].join('\r\n'));
}

export const quotaWarnings: CronJob = {
  name: 'quotaWarnings',
  description: 'send a warning into the INBOX of users whose mailbox passes cron.quotaWarningPercents of its quota',
  async run({ ctx, now }) {
    const file = join(cronDir(ctx.layout), 'quota-warned.json');
    const before: Warned = await readFile(file, 'utf8').then((t) => JSON.parse(t) as Warned, () => ({}));
    const after: Warned = {};
    const sent: string[] = [];
    const thresholds = ctx.settings.cron.quotaWarningPercents;
    for (const user of ctx.directory.listUsers()) {
      if (!user.enabled || user.quotaBytes <= 0) continue;
      const root = ctx.layout.maildir(user.domain, user.local);
      if (!(await stat(root).catch(() => null))?.isDirectory()) continue;
      const usage = await readUsage(root, user.quotaBytes);
      const d = quotaDecision(usage.bytes, user.quotaBytes, thresholds, before[user.address] ?? 0);
      if (d.warn !== null) {
        const msg = quotaWarningMessage({ to: user.address, from: `postmaster@${ctx.settings.primaryDomain}`, hostname: ctx.settings.hostname, percent: d.warn, used: usage.bytes, quota: user.quotaBytes, now });
        // Straight into the INBOX, past the quota check: this mail is about the quota.
        const stored = await deliverToMaildir(root, msg, { now });
        await addUsage(root, { bytes: stored.size, count: 1 });
        sent.push(`${user.address} (${d.warn}%)`);
        ctx.log.info({ event: 'cron.quota.warned', user: user.address, percent: d.warn, used: usage.bytes, quota: user.quotaBytes });
      }
      if (d.level > 0) after[user.address] = d.level;
    }
    // Written after the warnings: a crash in between re-sends at most one warning, never skips one.
    await mkdirDurable(cronDir(ctx.layout));
    await replaceFileDurable(file, `${JSON.stringify(after)}\n`);
    return sent.length === 0 ? 'no new quota warnings' : `warned ${sent.length} users: ${sent.join(', ')}`;
  },
};
