// `tandem mail domain add|del|list|show|catchall`: the mail domains this volume serves.
// Deleting refuses while accounts remain (the directory enforces it) and for the
// primary domain, which cfg/mail.yaml uses for postmaster and bounces.
import type { Command } from 'commander';
import { normalizeDomain } from '../mail/core/address.ts';
import type { Directory, Domain } from '../mail/directory/directory.ts';
import { action, CliError, printTable } from './io.ts';
import { withDataOption, withAccounts, requireAddress, printRecord, isoTime, done } from './mail-accounts.ts';

interface DataOpts { data: string }
interface JsonOpts extends DataOpts { json?: boolean }

function requireDomain(dir: Directory, name: string): Domain {
  const domain = dir.getDomain(name);
  if (!domain) throw new CliError(`domain ${normalizeDomain(name)} does not exist`);
  return domain;
}

function domainSummary(dir: Directory, d: Domain) {
  return {
    name: d.name,
    catchall: d.catchall,
    users: dir.listUsers(d.name).length,
    aliases: dir.listAliases(d.name).length,
    lists: dir.listLists(d.name).length,
  };
}

export function registerDomainCommands(mail: Command): void {
  const domain = mail.command('domain').description('mail domains served by this volume');

  withDataOption(domain.command('add'))
    .description('start serving a mail domain')
    .argument('<name>', 'domain name, e.g. example.com')
    .action(action(async (name: string, opts: DataOpts) => withAccounts(opts.data, ({ directory }) => {
      const d = directory.addDomain(name);
      done(`added domain ${d.name}`);
    })));

  withDataOption(domain.command('del'))
    .description('stop serving a domain (refused while it has users, aliases or lists)')
    .argument('<name>', 'domain name')
    .action(action(async (name: string, opts: DataOpts) => withAccounts(opts.data, ({ directory, settings }) => {
      const d = requireDomain(directory, name);
      if (d.name === normalizeDomain(settings.primaryDomain)) {
        throw new CliError(`domain ${d.name} is the primary domain in cfg/mail.yaml (primaryDomain); change that first`);
      }
      directory.deleteDomain(d.name);
      done(`deleted domain ${d.name}`);
    })));

  withDataOption(domain.command('list'))
    .description('list the local domains with their account counts')
    .option('--json', 'print JSON')
    .action(action(async (opts: JsonOpts) => withAccounts(opts.data, ({ directory }) => {
      printTable(directory.listDomains().map((d) => domainSummary(directory, d)), opts.json ?? false);
    })));

  withDataOption(domain.command('show'))
    .description('show one domain: catch-all and accounts')
    .argument('<name>', 'domain name')
    .option('--json', 'print JSON')
    .action(action(async (name: string, opts: JsonOpts) => withAccounts(opts.data, ({ directory, settings }) => {
      const d = requireDomain(directory, name);
      printRecord({
        ...domainSummary(directory, d),
        primary: d.name === normalizeDomain(settings.primaryDomain),
        created: isoTime(d.createdAt),
      }, opts.json ?? false);
    })));

  withDataOption(domain.command('catchall'))
    .description('send mail for unknown addresses of a domain to ADDRESS (or stop with --clear)')
    .argument('<name>', 'domain name')
    .argument('[address]', 'where mail for unknown local parts goes')
    .option('--clear', 'remove the catch-all: unknown addresses are rejected again')
    .action(action(async (name: string, address: string | undefined, opts: DataOpts & { clear?: boolean }) => withAccounts(opts.data, ({ directory }) => {
      if (opts.clear && address !== undefined) throw new CliError('give either an ADDRESS or --clear, not both');
      if (!opts.clear && address === undefined) throw new CliError('give the catch-all ADDRESS, or --clear to remove it');
      const d = requireDomain(directory, name);
      if (opts.clear) {
        directory.setCatchall(d.name, null);
        done(`domain ${d.name}: catch-all removed; mail to unknown addresses is rejected`);
        return;
      }
      const target = requireAddress(address!, 'catch-all').address;
      // A local target that only a catch-all answers for would loop mail back to itself.
      const r = directory.resolve(target);
      if (r?.kind === 'unknown-local' || r?.kind === 'catchall') {
        throw new CliError(`catch-all target ${target} does not exist; create the user, alias or list first`);
      }
      directory.setCatchall(d.name, target);
      done(`domain ${d.name}: mail to unknown addresses goes to ${target}`);
    })));
}
