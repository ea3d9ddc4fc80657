// `tandem mail replication token create|list|revoke` and `status`: the account feed's
// slave tokens on a master, and where a slave's follower stands (S7, docs/replication.md).
// Works on this host's volume (--data) or through the admin API at the VIP (--remote).
import type { Command } from 'commander';
import type { ReplicationStatus } from '../mail/http/admin/replication-ops.ts';
import { action, printTable } from './io.ts';
import { withTargetOptions, type TargetOpts } from './remote/target.ts';
import { withAdmin, seg } from './remote/admin.ts';

export function registerReplicationCommands(mail: Command): void {
  const repl = mail.command('replication').description('central account management (S7): slave tokens, status');
  const token = repl.command('token').description('tokens slaves use to follow this master');

  withTargetOptions(token.command('create <name>'))
    .description('make (or replace) the token of slave NAME; printed once, put it in the slave\'s accounts.master.tokenFile')
    .action(action(async (name: string, opts: TargetOpts) => withAdmin(opts, async (api) => {
      const t = await api.call<{ token: string; fingerprint: string }>('POST', '/replication/tokens', { body: { name } });
      process.stdout.write(`${t.token}\n`);
      process.stderr.write(`master certificate fingerprint (accounts.master.fingerprint on the slave): ${t.fingerprint}\n`);
    })));

  withTargetOptions(token.command('list'))
    .description('list slave tokens and when each was last used')
    .option('--json', 'print JSON')
    .action(action(async (opts: TargetOpts & { json?: boolean }) => withAdmin(opts, async (api) => {
      const tokens = await api.call<Array<{ name: string; createdAt: string; lastUsedAt: string | null }>>('GET', '/replication/tokens');
      printTable(tokens.map((t) => ({ name: t.name, created: t.createdAt, lastUsed: t.lastUsedAt ?? 'never' })), opts.json ?? false);
    })));

  withTargetOptions(token.command('revoke <name>'))
    .description('revoke the token of slave NAME (its next request is refused)')
    .action(action(async (name: string, opts: TargetOpts) => withAdmin(opts, async (api) => {
      await api.call('DELETE', `/replication/tokens/${seg(name)}`);
      process.stdout.write(`revoked ${name}\n`);
    })));

  withTargetOptions(repl.command('status'))
    .description('role, versions, and on a slave the follower\'s last success and error')
    .option('--json', 'print JSON')
    .action(action(async (opts: TargetOpts & { json?: boolean }) => withAdmin(opts, async (api) => {
      const out = await api.call<ReplicationStatus>('GET', '/replication');
      if (opts.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      else for (const [k, v] of Object.entries(out)) process.stdout.write(`${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}\n`);
    })));
}
