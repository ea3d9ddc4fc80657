// `tandem mail admin grant|revoke|list` and `tandem mail admin token create|list|revoke`:
// who may use the web admin console (mail users with the admin flag) and the bearer
// tokens of the admin JSON API. A token is printed once; only its hash is stored.
import type { Command } from 'commander';
import { WebDb } from '../mail/http/store/web-db.ts';
import { action, CliError, printTable } from './io.ts';
import { withDataOption, withAccounts, requireLocalAddress, isoTime, done } from './mail-accounts.ts';

interface DataOpts { data: string }
interface JsonOpts extends DataOpts { json?: boolean }

async function withWebDb<T>(dataDir: string, fn: (db: WebDb, a: Parameters<Parameters<typeof withAccounts>[1]>[0]) => T): Promise<T> {
  // The directory opens (and migrates) the database first; WebDb then shares it.
  return withAccounts(dataDir, (accounts) => {
    const db = WebDb.open(accounts.layout.accountsDb);
    try {
      return fn(db, accounts);
    } finally {
      db.close();
    }
  });
}

export function registerAdminCommands(mail: Command): void {
  const admin = mail.command('admin').description('web admin console access and admin API tokens');

  withDataOption(admin.command('grant'))
    .description('let a mail user log in to the admin console (at /admin) with their password')
    .argument('<address>', 'the user\'s address')
    .action(action(async (address: string, opts: DataOpts) => withWebDb(opts.data, (db, { directory }) => {
      const a = requireLocalAddress(directory, address, 'user').address;
      if (!directory.getUser(a)) throw new CliError(`${a} is not a user (only users can log in)`);
      db.setAdmin(a, true);
      done(`${a} is an admin`);
    })));

  withDataOption(admin.command('revoke'))
    .description('take the admin console away from a user (their open console sessions end)')
    .argument('<address>', 'the user\'s address')
    .action(action(async (address: string, opts: DataOpts) => withWebDb(opts.data, (db) => {
      const a = address.trim().toLowerCase();
      if (!db.isAdmin(a)) throw new CliError(`${a} is not an admin`);
      db.setAdmin(a, false);
      db.endSessionsOf(a);
      done(`${a} is no longer an admin`);
    })));

  withDataOption(admin.command('list'))
    .description('list the users who may use the admin console')
    .option('--json', 'print JSON')
    .action(action(async (opts: JsonOpts) => withWebDb(opts.data, (db) => {
      printTable(db.listAdmins().map((address) => ({ address })), opts.json ?? false);
    })));

  const token = admin.command('token').description('bearer tokens for the admin JSON API (/api/v1/)');

  withDataOption(token.command('create'))
    .description('make a token; it is printed once and cannot be shown again')
    .argument('<name>', 'what the token is for, e.g. "provisioning script"')
    .action(action(async (name: string, opts: DataOpts) => withWebDb(opts.data, (db) => {
      const t = db.createToken(name);
      process.stdout.write(`${t.token}\n`);
      process.stderr.write(`token ${t.id} ("${name.trim()}") created; store it now, it is not shown again\n`);
    })));

  withDataOption(token.command('list'))
    .description('list tokens (ids and names; never the secrets)')
    .option('--json', 'print JSON')
    .action(action(async (opts: JsonOpts) => withWebDb(opts.data, (db) => {
      printTable(db.listTokens().map((t) => ({
        id: t.id, name: t.name, created: isoTime(t.createdAt), lastUsed: t.lastUsedAt === null ? null : isoTime(t.lastUsedAt),
      })), opts.json ?? false);
    })));

  withDataOption(token.command('revoke'))
    .description('delete a token; requests with it are refused at once')
    .argument('<id>', 'the token id (from "token list")')
    .action(action(async (id: string, opts: DataOpts) => withWebDb(opts.data, (db) => {
      db.revokeToken(id.trim());
      done(`token ${id.trim()} revoked`);
    })));
}
