// `tandem mail replication token create|list|revoke` and `status`: the account feed's
// slave tokens on a master, and where a slave's follower stands (S7, docs/replication.md).
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { openVolume, loadTls } from '../mail/core/volume.ts';
import { Directory } from '../mail/directory/directory.ts';
import { createToken, listTokens, revokeToken } from '../mail/replication/tokens.ts';
import { readFollowState } from '../mail/replication/apply.ts';
import { databaseId, latestVersion } from '../mail/replication/changelog.ts';
import { replicationStatusFile } from '../mail/replication/service.ts';
import { action, printTable, CliError } from './io.ts';
import { withDataOption } from './mail-accounts.ts';

async function withDb<T>(data: string, fn: (d: Directory, v: Awaited<ReturnType<typeof openVolume>>) => Promise<T> | T): Promise<T> {
  const volume = await openVolume(data);
  // Tokens and status are not accounts: they may be handled on any role.
  const d = Directory.open(volume.layout.accountsDb);
  try {
    return await fn(d, volume);
  } finally {
    d.close();
  }
}

export function registerReplicationCommands(mail: Command): void {
  const repl = mail.command('replication').description('central account management (S7): slave tokens, status');
  const token = repl.command('token').description('tokens slaves use to follow this master');

  withDataOption(token.command('create <name>'))
    .description('make (or replace) the token of slave NAME; printed once, put it in the slave\'s accounts.master.tokenFile')
    .action(action(async (name: string, opts: { data: string }) => {
      await withDb(opts.data, async (d, { layout, settings }) => {
        if (settings.accounts.role !== 'master') process.stderr.write(`note: accounts.role is ${settings.accounts.role}; slaves can follow only a master\n`);
        const t = createToken(d.database, name);
        const cert = new X509Certificate(await loadTls(layout, settings).then((m) => m.cert));
        process.stdout.write(`${t}\n`);
        process.stderr.write(`master certificate fingerprint (accounts.master.fingerprint on the slave): ${cert.fingerprint256}\n`);
      });
    }));

  withDataOption(token.command('list'))
    .description('list slave tokens and when each was last used')
    .option('--json', 'print JSON')
    .action(action(async (opts: { data: string; json?: boolean }) => {
      await withDb(opts.data, (d) => printTable(listTokens(d.database).map((t) => ({
        name: t.name, created: new Date(t.createdAt).toISOString(), lastUsed: t.lastUsedAt ? new Date(t.lastUsedAt).toISOString() : 'never',
      })), opts.json ?? false));
    }));

  withDataOption(token.command('revoke <name>'))
    .description('revoke the token of slave NAME (its next request is refused)')
    .action(action(async (name: string, opts: { data: string }) => {
      await withDb(opts.data, (d) => {
        try { revokeToken(d.database, name); } catch (err) { throw new CliError((err as Error).message); }
        process.stdout.write(`revoked ${name}\n`);
      });
    }));

  withDataOption(repl.command('status'))
    .description('role, versions, and on a slave the follower\'s last success and error')
    .option('--json', 'print JSON')
    .action(action(async (opts: { data: string; json?: boolean }) => {
      await withDb(opts.data, async (d, { layout, settings }) => {
        const a = settings.accounts;
        const out: Record<string, unknown> = { role: a.role, system: a.system, databaseId: databaseId(d.database), changeLogVersion: latestVersion(d.database) };
        if (a.role === 'slave') {
          const state = readFollowState(d.database);
          out.master = a.master?.url;
          out.masterDatabaseId = state.masterDbId;
          out.appliedVersion = state.version;
          const file = replicationStatusFile({ layout });
          const follower = await readFile(file, 'utf8').then((t) => JSON.parse(t) as Record<string, unknown>, () => null);
          out.follower = follower ?? 'no status yet (is "tandem mail serve replication" running?)';
        }
        if (opts.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        else for (const [k, v] of Object.entries(out)) process.stdout.write(`${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}\n`);
      });
    }));
}
