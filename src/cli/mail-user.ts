// `tandem mail user add|del|list|show|passwd|set`: mailbox accounts. Passwords come
// from stdin or a no-echo prompt (io.readPassword), never from argv where `ps` shows them.
// Works on this host's volume (--data) or through the admin API at the VIP (--remote).
import { Option, type Command } from 'commander';
import { action, CliError, printTable, readPassword } from './io.ts';
import { parseSize, formatSize, formatQuota, printRecord, done } from './mail-accounts.ts';
import { withTargetOptions, type TargetOpts } from './remote/target.ts';
import { withAdmin, seg } from './remote/admin.ts';
import type { UserDetail, UserView, NewUser } from '../mail/http/admin/account-ops.ts';

interface JsonOpts extends TargetOpts { json?: boolean }
interface SetOpts extends TargetOpts { name?: string; quota?: string; enable?: boolean; disable?: boolean; home?: string }

function describeUsage(u: UserDetail): string {
  if (!u.maildirExists) return 'no mailbox yet (nothing delivered)';
  const share = u.quotaBytes > 0 ? ` (${Math.round((u.usage.bytes / u.quotaBytes) * 100)}% of ${formatSize(u.quotaBytes)})` : '';
  return `${formatSize(u.usage.bytes)} in ${u.usage.count} messages${share}`;
}

export function registerUserCommands(mail: Command): void {
  const user = mail.command('user').description('mailbox accounts: add, delete, list, show, change password or settings');

  withTargetOptions(user.command('add'))
    .description('add a user; the password is read from stdin (first line) or prompted for, never taken from arguments')
    .argument('<address>', 'mail address in a local domain, e.g. alice@example.com')
    .option('--name <display name>', 'display name, e.g. "Alice Liddell"')
    .option('--quota <size>', 'mailbox quota: 500M, 2G, 1048576, 0 or unlimited (default: delivery.defaultQuotaBytes)')
    .option('--disabled', 'create the account disabled: it cannot log in and mail to it is rejected')
    .action(action(async (address: string, opts: TargetOpts & { name?: string; quota?: string; disabled?: boolean }) => {
      const input: NewUser = {
        address,
        ...(opts.name !== undefined ? { displayName: opts.name } : {}),
        ...(opts.quota !== undefined ? { quotaBytes: parseSize(opts.quota) } : {}),
        ...(opts.disabled ? { enabled: false } : {}),
      };
      await withAdmin(opts, async (api) => {
        // Check everything cheap before asking for a password, so a typo costs no prompt.
        await api.call('POST', '/users/check', { body: input });
        const password = await readPassword();
        const u = await api.call<UserView>('POST', '/users', { body: { ...input, password } });
        done(`added user ${u.address} (quota ${formatQuota(u.quotaBytes)}${u.enabled ? '' : ', disabled'})`);
      });
    }));

  withTargetOptions(user.command('del'))
    .description('delete a user; the mailbox files stay on disk unless --purge is given')
    .argument('<address>', 'mail address')
    .option('--purge', 'also remove the user\'s Maildir (all stored messages) for good')
    .action(action(async (address: string, opts: TargetOpts & { purge?: boolean }) => withAdmin(opts, async (api) => {
      const u = await api.call<UserDetail>('GET', `/users/${seg(address)}`);
      await api.call('DELETE', `/users/${seg(u.address)}`, { query: { purge: opts.purge ? 'true' : undefined } });
      if (!u.maildirExists) done(`deleted user ${u.address} (it had no mailbox on disk)`);
      else if (opts.purge) done(`deleted user ${u.address} and removed its mailbox ${u.maildir}`);
      else {
        done(`deleted user ${u.address}; its mailbox is kept at ${u.maildir}`);
        done('  (remove that directory when it is no longer needed; a new account with this address would see it)');
      }
    })));

  withTargetOptions(user.command('list'))
    .description('list users')
    .option('--domain <domain>', 'only users of this domain')
    .option('--json', 'print JSON')
    .action(action(async (opts: JsonOpts & { domain?: string }) => withAdmin(opts, async (api) => {
      const users = await api.call<UserView[]>('GET', '/users', { query: { domain: opts.domain } });
      if (opts.json) {
        printTable(users.map((u) => ({ ...u })), true);
        return;
      }
      printTable(users.map((u) => ({
        address: u.address, name: u.displayName, quota: formatQuota(u.quotaBytes), status: u.enabled ? 'enabled' : 'disabled',
      })), false);
    })));

  withTargetOptions(user.command('show'))
    .description('show a user: settings, mailbox usage against quota, addresses it may send as')
    .argument('<address>', 'mail address')
    .option('--json', 'print JSON')
    .action(action(async (address: string, opts: JsonOpts) => withAdmin(opts, async (api) => {
      const u = await api.call<UserDetail>('GET', `/users/${seg(address)}`);
      if (opts.json) {
        printRecord({
          address: u.address, displayName: u.displayName, enabled: u.enabled, quotaBytes: u.quotaBytes, admin: u.admin, home: u.home,
          usage: u.usage, maildir: u.maildir, maildirExists: u.maildirExists, sendsAs: u.sendsAs, lists: u.lists,
          createdAt: u.createdAt, updatedAt: u.updatedAt,
        }, true);
        return;
      }
      printRecord({
        address: u.address, name: u.displayName, status: u.enabled ? 'enabled' : 'disabled (cannot log in; mail to it is rejected)',
        quota: formatQuota(u.quotaBytes), usage: describeUsage(u), maildir: u.maildir,
        'sends as': u.sendsAs, lists: u.lists, ...(u.home ? { 'mailbox on': u.home } : {}), ...(u.admin ? { admin: 'yes (admin console)' } : {}),
        created: u.createdAt, updated: u.updatedAt,
      }, false);
    })));

  withTargetOptions(user.command('passwd'))
    .description('set a user\'s password, read from stdin (first line) or prompted for')
    .argument('<address>', 'mail address')
    .action(action(async (address: string, opts: TargetOpts) => withAdmin(opts, async (api) => {
      const u = await api.call<UserDetail>('GET', `/users/${seg(address)}`);
      await api.call('PUT', `/users/${seg(u.address)}/password`, { body: { password: await readPassword('New password: ') } });
      done(`password changed for ${u.address}`);
    })));

  withTargetOptions(user.command('set'))
    .description('change a user\'s display name, quota or whether the account is enabled')
    .argument('<address>', 'mail address')
    .option('--name <display name>', 'new display name ("" to clear)')
    .option('--quota <size>', 'new quota: 500M, 2G, 1048576, 0 or unlimited')
    .addOption(new Option('--enable', 'allow logins and mail delivery again').conflicts('disable'))
    .addOption(new Option('--disable', 'refuse logins and reject mail to the account (nothing is deleted)'))
    .option('--home <system>', 'member system holding the mailbox (account replication, docs/replication.md); "local" for this system')
    .action(action(async (address: string, opts: SetOpts) => {
      const changes = {
        displayName: opts.name,
        quotaBytes: opts.quota !== undefined ? parseSize(opts.quota) : undefined,
        enabled: opts.enable ? true : opts.disable ? false : undefined,
        home: opts.home,
      };
      if (Object.values(changes).every((v) => v === undefined)) throw new CliError('nothing to change: give --name, --quota, --enable, --disable or --home');
      await withAdmin(opts, async (api) => {
        const after = await api.call<UserView>('PATCH', `/users/${seg(address)}`, { body: changes });
        done(`updated user ${after.address}: name "${after.displayName}", quota ${formatQuota(after.quotaBytes)}, ${after.enabled ? 'enabled' : 'disabled'}${after.home ? `, mailbox on ${after.home}` : ''}`);
      });
    }));
}
