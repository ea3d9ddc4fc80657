// `tandem mail user add|del|list|show|passwd|set`: mailbox accounts. Passwords come
// from stdin or a no-echo prompt (io.readPassword), never from argv where `ps` shows them.
import { Option, type Command } from 'commander';
import { lstat, rm } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { VolumeLayout } from '../mail/core/volume.ts';
import type { Directory, User } from '../mail/directory/directory.ts';
import { readUsage, type Usage } from '../mail/storage/quota.ts';
import { action, CliError, printTable, readPassword } from './io.ts';
import {
  withDataOption, withAccounts, requireAddress, requireFreeLocalAddress, requireLocalDomain,
  parseSize, formatSize, formatQuota, printRecord, isoTime, done, referencesTo, warnReferences,
} from './mail-accounts.ts';

interface DataOpts { data: string }
interface JsonOpts extends DataOpts { json?: boolean }
interface SetOpts extends DataOpts { name?: string; quota?: string; enable?: boolean; disable?: boolean }

function requireUser(dir: Directory, text: string): User {
  const { address } = requireAddress(text);
  const user = dir.getUser(address);
  if (!user) throw new CliError(`user ${address} does not exist`);
  return user;
}

/** Display names end up in headers and LDAP entries: no line breaks or other controls. */
function checkName(name: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) throw new CliError('display name must not contain control characters or line breaks');
  return name.trim();
}

/** The mailbox directory, or null when nothing has been delivered yet. */
async function existingMaildir(layout: VolumeLayout, user: { domain: string; local: string }): Promise<string | null> {
  const path = layout.maildir(user.domain, user.local);
  return (await lstat(path).catch(() => null)) ? path : null;
}

/**
 * Checks that a Maildir may be removed recursively. Its path comes from the layout (each
 * part escaped), but before a recursive delete it must also sit strictly inside mail/
 * and be a real directory: a symlink could point at anything on the host.
 */
async function checkPurgeable(layout: VolumeLayout, path: string): Promise<void> {
  const root = resolve(layout.mailDir) + sep;
  if (!resolve(path).startsWith(root)) throw new CliError(`refusing to remove ${path}: it is not inside ${layout.mailDir}; nothing was changed`);
  const st = await lstat(path);
  if (!st.isDirectory()) throw new CliError(`refusing to remove ${path}: it is not a directory (a symlink?); nothing was changed`);
}

function describeUsage(usage: Usage | null, quotaBytes: number): string {
  if (!usage) return 'no mailbox yet (nothing delivered)';
  const share = quotaBytes > 0 ? ` (${Math.round((usage.bytes / quotaBytes) * 100)}% of ${formatSize(quotaBytes)})` : '';
  return `${formatSize(usage.bytes)} in ${usage.count} messages${share}`;
}

export function registerUserCommands(mail: Command): void {
  const user = mail.command('user').description('mailbox accounts: add, delete, list, show, change password or settings');

  withDataOption(user.command('add'))
    .description('add a user; the password is read from stdin (first line) or prompted for, never taken from arguments')
    .argument('<address>', 'mail address in a local domain, e.g. alice@example.com')
    .option('--name <display name>', 'display name, e.g. "Alice Liddell"')
    .option('--quota <size>', 'mailbox quota: 500M, 2G, 1048576, 0 or unlimited (default: delivery.defaultQuotaBytes)')
    .option('--disabled', 'create the account disabled: it cannot log in and mail to it is rejected')
    .action(action(async (address: string, opts: DataOpts & { name?: string; quota?: string; disabled?: boolean }) =>
      withAccounts(opts.data, async ({ directory, layout, settings }) => {
        // Check everything cheap before asking for a password, so a typo costs no prompt.
        const a = requireFreeLocalAddress(directory, address);
        const quotaBytes = opts.quota !== undefined ? parseSize(opts.quota) : settings.delivery.defaultQuotaBytes;
        const displayName = opts.name !== undefined ? checkName(opts.name) : '';
        const leftover = await existingMaildir(layout, a);
        if (leftover) {
          process.stderr.write(`tandem: warning: ${leftover} already exists (left by an earlier account with this address); the new user will see its messages\n`);
        }
        const password = await readPassword();
        const u = await directory.addUser({ address: a.address, password, displayName, quotaBytes, enabled: !opts.disabled });
        done(`added user ${u.address} (quota ${formatQuota(u.quotaBytes)}${u.enabled ? '' : ', disabled'})`);
      })));

  withDataOption(user.command('del'))
    .description('delete a user; the mailbox files stay on disk unless --purge is given')
    .argument('<address>', 'mail address')
    .option('--purge', 'also remove the user\'s Maildir (all stored messages) for good')
    .action(action(async (address: string, opts: DataOpts & { purge?: boolean }) => withAccounts(opts.data, async ({ directory, layout }) => {
      const u = requireUser(directory, address);
      const references = referencesTo(directory, u.address);
      const maildir = await existingMaildir(layout, u);
      if (maildir && opts.purge) await checkPurgeable(layout, maildir);
      // Remove the account before its files: from then on nothing new is delivered there.
      directory.deleteUser(u.address);
      if (!maildir) done(`deleted user ${u.address} (it had no mailbox on disk)`);
      else if (opts.purge) {
        await rm(maildir, { recursive: true });
        done(`deleted user ${u.address} and removed its mailbox ${maildir}`);
      } else {
        done(`deleted user ${u.address}; its mailbox is kept at ${maildir}`);
        done('  (remove that directory when it is no longer needed; a new account with this address would see it)');
      }
      warnReferences(references, u.address);
    })));

  withDataOption(user.command('list'))
    .description('list users')
    .option('--domain <domain>', 'only users of this domain')
    .option('--json', 'print JSON')
    .action(action(async (opts: JsonOpts & { domain?: string }) => withAccounts(opts.data, ({ directory }) => {
      const domain = opts.domain !== undefined ? requireLocalDomain(directory, opts.domain) : undefined;
      const users = directory.listUsers(domain);
      if (opts.json) {
        printTable(users.map((u) => ({ ...u, createdAt: isoTime(u.createdAt), updatedAt: isoTime(u.updatedAt) })), true);
        return;
      }
      printTable(users.map((u) => ({
        address: u.address, name: u.displayName, quota: formatQuota(u.quotaBytes), status: u.enabled ? 'enabled' : 'disabled',
      })), false);
    })));

  withDataOption(user.command('show'))
    .description('show a user: settings, mailbox usage against quota, addresses it may send as')
    .argument('<address>', 'mail address')
    .option('--json', 'print JSON')
    .action(action(async (address: string, opts: JsonOpts) => withAccounts(opts.data, async ({ directory, layout }) => {
      const u = requireUser(directory, address);
      const maildir = await existingMaildir(layout, u);
      const usage = maildir ? await readUsage(maildir, u.quotaBytes) : null;
      const sendsAs = directory.sendersFor(u);
      const lists = directory.listLists().filter((l) => l.members.some((m) => m.address === u.address)).map((l) => l.address);
      const path = layout.maildir(u.domain, u.local);
      if (opts.json) {
        printRecord({
          address: u.address, displayName: u.displayName, enabled: u.enabled, quotaBytes: u.quotaBytes,
          usage: usage ?? { bytes: 0, count: 0 }, maildir: path, maildirExists: maildir !== null, sendsAs, lists,
          createdAt: isoTime(u.createdAt), updatedAt: isoTime(u.updatedAt),
        }, true);
        return;
      }
      printRecord({
        address: u.address, name: u.displayName, status: u.enabled ? 'enabled' : 'disabled (cannot log in; mail to it is rejected)',
        quota: formatQuota(u.quotaBytes), usage: describeUsage(usage, u.quotaBytes), maildir: path,
        'sends as': sendsAs, lists, created: isoTime(u.createdAt), updated: isoTime(u.updatedAt),
      }, false);
    })));

  withDataOption(user.command('passwd'))
    .description('set a user\'s password, read from stdin (first line) or prompted for')
    .argument('<address>', 'mail address')
    .action(action(async (address: string, opts: DataOpts) => withAccounts(opts.data, async ({ directory }) => {
      const u = requireUser(directory, address);
      await directory.setPassword(u.address, await readPassword('New password: '));
      done(`password changed for ${u.address}`);
    })));

  withDataOption(user.command('set'))
    .description('change a user\'s display name, quota or whether the account is enabled')
    .argument('<address>', 'mail address')
    .option('--name <display name>', 'new display name ("" to clear)')
    .option('--quota <size>', 'new quota: 500M, 2G, 1048576, 0 or unlimited')
    .addOption(new Option('--enable', 'allow logins and mail delivery again').conflicts('disable'))
    .addOption(new Option('--disable', 'refuse logins and reject mail to the account (nothing is deleted)'))
    .option('--home <system>', 'member system holding the mailbox (account replication, docs/replication.md); "local" for this system')
    .action(action(async (address: string, opts: SetOpts & { home?: string }) => withAccounts(opts.data, ({ directory, settings }) => {
      const u = requireUser(directory, address);
      const home = opts.home === undefined ? undefined : opts.home === 'local' || opts.home === settings.accounts.system ? null : opts.home;
      if (home && !(home in settings.accounts.members)) {
        process.stderr.write(`tandem: warning: "${home}" is not in accounts.members of this volume; mail for ${u.address} will wait in the queue until it is\n`);
      }
      const changes = {
        displayName: opts.name !== undefined ? checkName(opts.name) : undefined,
        quotaBytes: opts.quota !== undefined ? parseSize(opts.quota) : undefined,
        enabled: opts.enable ? true : opts.disable ? false : undefined,
        home,
      };
      if (Object.values(changes).every((v) => v === undefined)) throw new CliError('nothing to change: give --name, --quota, --enable, --disable or --home');
      const after = directory.updateUser(u.address, changes);
      done(`updated user ${after.address}: name "${after.displayName}", quota ${formatQuota(after.quotaBytes)}, ${after.enabled ? 'enabled' : 'disabled'}${after.home ? `, mailbox on ${after.home}` : ''}`);
    })));
}
