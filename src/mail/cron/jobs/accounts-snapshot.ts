// accountsSnapshot: a consistent copy of the accounts database with SQLite's online
// backup API (better-sqlite3 backup()), taken while the services keep writing, into
// db/snapshots/accounts-TIME.sqlite; checked with integrity_check, made durable, and
// only the newest cron.snapshotsKeep are kept.
import BetterSqlite3 from 'better-sqlite3';
import { open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { mkdirDurable, renameDurable, fsyncDir } from '../../../lib/durable.ts';
import type { CronJob } from './job.ts';

export function snapshotsDir(dbDir: string): string {
  return join(dbDir, 'snapshots');
}

export const accountsSnapshot: CronJob = {
  name: 'accountsSnapshot',
  description: 'copy the accounts database consistently into db/snapshots/, keeping the newest cron.snapshotsKeep',
  async run({ ctx, now }) {
    const dir = snapshotsDir(ctx.layout.dbDir);
    await mkdirDurable(dir);
    const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const final = join(dir, `accounts-${stamp}.sqlite`);
    const tmp = `${final}.tmp-${process.pid}`;
    const source = new BetterSqlite3(ctx.layout.accountsDb, { readonly: true, fileMustExist: true });
    try {
      source.pragma('busy_timeout = 10000');
      await source.backup(tmp);
    } finally {
      source.close();
    }
    const copy = new BetterSqlite3(tmp, { readonly: true });
    let check: string;
    let users: number;
    try {
      check = String(copy.pragma('integrity_check', { simple: true }));
      users = (copy.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
    } finally {
      copy.close();
    }
    if (check !== 'ok') {
      await unlink(tmp).catch(() => undefined);
      throw new Error(`snapshot failed its integrity check: ${check}`);
    }
    const fh = await open(tmp, 'r+');
    try { await fh.sync(); } finally { await fh.close(); }
    await renameDurable(tmp, final);
    const all = (await readdir(dir)).filter((n) => /^accounts-\d{8}T\d{6}Z\.sqlite$/.test(n)).sort();
    const old = all.slice(0, Math.max(0, all.length - ctx.settings.cron.snapshotsKeep));
    for (const name of old) await unlink(join(dir, name)).catch(() => undefined);
    // Leftover temp files of a run cut short.
    for (const name of (await readdir(dir)).filter((n) => n.includes('.tmp-'))) await unlink(join(dir, name)).catch(() => undefined);
    if (old.length > 0) await fsyncDir(dir);
    return `snapshot ${final} (${users} users); kept ${Math.min(all.length, ctx.settings.cron.snapshotsKeep)}, removed ${old.length}`;
  },
};
