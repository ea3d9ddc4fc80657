// `tandem mail admin grant|revoke|list` and `tandem mail admin token create|list|revoke`:
// who may use the web admin console (mail users with the admin flag) and the bearer
// tokens of the admin JSON API. A token is printed once; only its hash is stored.
// Works on this host's volume (--data) or through the admin API at the VIP (--remote);
// the first token of a volume is made with --data on the node where it is mounted.
import type { Command } from 'commander';
import { action, printTable } from './io.ts';
import { done } from './mail-accounts.ts';
import { withTargetOptions, type TargetOpts } from './remote/target.ts';
import { withAdmin, seg } from './remote/admin.ts';

interface JsonOpts extends TargetOpts { json?: boolean }

export function registerAdminCommands(mail: Command): void {
  const admin = mail.command('admin').description('web admin console access and admin API tokens');

  withTargetOptions(admin.command('grant'))
    .description('let a mail user log in to the admin console (at /admin) with their password')
    .argument('<address>', 'the user\'s address')
    .action(action(async (address: string, opts: TargetOpts) => withAdmin(opts, async (api) => {
      const a = await api.call<{ address: string }>('PUT', `/admins/${seg(address)}`);
      done(`${a.address} is an admin`);
    })));

  withTargetOptions(admin.command('revoke'))
    .description('take the admin console away from a user (their open console sessions end)')
    .argument('<address>', 'the user\'s address')
    .action(action(async (address: string, opts: TargetOpts) => withAdmin(opts, async (api) => {
      await api.call('DELETE', `/admins/${seg(address)}`);
      done(`${address.trim().toLowerCase()} is no longer an admin`);
    })));

  withTargetOptions(admin.command('list'))
    .description('list the users who may use the admin console')
    .option('--json', 'print JSON')
    .action(action(async (opts: JsonOpts) => withAdmin(opts, async (api) => {
      printTable(await api.call<Array<{ address: string }>>('GET', '/admins'), opts.json ?? false);
    })));

  const token = admin.command('token').description('bearer tokens for the admin JSON API (/api/v1/) and `tandem mail ... --remote`');

  withTargetOptions(token.command('create'))
    .description('make a token; it is printed once and cannot be shown again')
    .argument('<name>', 'what the token is for, e.g. "provisioning script"')
    .action(action(async (name: string, opts: TargetOpts) => withAdmin(opts, async (api) => {
      const t = await api.call<{ id: string; name: string; token: string }>('POST', '/tokens', { body: { name } });
      process.stdout.write(`${t.token}\n`);
      process.stderr.write(`token ${t.id} ("${t.name}") created; store it now, it is not shown again\n`);
    })));

  withTargetOptions(token.command('list'))
    .description('list tokens (ids and names; never the secrets)')
    .option('--json', 'print JSON')
    .action(action(async (opts: JsonOpts) => withAdmin(opts, async (api) => {
      const tokens = await api.call<Array<{ id: string; name: string; createdAt: string; lastUsedAt: string | null }>>('GET', '/tokens');
      printTable(tokens.map((t) => ({ id: t.id, name: t.name, created: t.createdAt, lastUsed: t.lastUsedAt })), opts.json ?? false);
    })));

  withTargetOptions(token.command('revoke'))
    .description('delete a token; requests with it are refused at once')
    .argument('<id>', 'the token id (from "token list")')
    .action(action(async (id: string, opts: TargetOpts) => withAdmin(opts, async (api) => {
      await api.call('DELETE', `/tokens/${seg(id.trim())}`);
      done(`token ${id.trim()} revoked`);
    })));
}
