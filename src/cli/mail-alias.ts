// `tandem mail alias add|del|list|show`: addresses that forward to one or more targets
// (local users, lists, other aliases or remote addresses). Users may send as the
// aliases that reach them (Directory.sendersFor).
import type { Command } from 'commander';
import type { Alias, Directory } from '../mail/directory/directory.ts';
import { action, CliError, printTable } from './io.ts';
import {
  withDataOption, withAccounts, requireAddress, requireFreeLocalAddress, requireLocalDomain,
  warnIfDangling, referencesTo, warnReferences, printRecord, done,
} from './mail-accounts.ts';

interface DataOpts { data: string }
interface JsonOpts extends DataOpts { json?: boolean }

function requireAlias(dir: Directory, text: string): Alias {
  const { address } = requireAddress(text);
  const alias = dir.getAlias(address);
  if (!alias) throw new CliError(`alias ${address} does not exist`);
  return alias;
}

/** What each target is here: user, alias, list, remote, or nothing (a bounce). */
function targetKinds(dir: Directory, alias: Alias): Array<{ target: string; kind: string }> {
  return alias.targets.map((target) => {
    const r = dir.resolve(target);
    const kind = !r ? 'invalid' : r.kind === 'unknown-local' ? 'missing' : r.kind;
    return { target, kind };
  });
}

export function registerAliasCommands(mail: Command): void {
  const alias = mail.command('alias').description('aliases: addresses that forward mail to other addresses');

  withDataOption(alias.command('add'))
    .description('add an alias that forwards to one or more target addresses')
    .argument('<address>', 'alias address in a local domain, e.g. postmaster@example.com')
    .argument('<targets...>', 'where its mail goes: local users, lists, aliases or remote addresses')
    .action(action(async (address: string, targets: string[], opts: DataOpts) => withAccounts(opts.data, ({ directory }) => {
      const a = requireFreeLocalAddress(directory, address);
      const normalized = targets.map((t) => requireAddress(t, 'target').address);
      if (normalized.includes(a.address)) throw new CliError(`alias ${a.address} cannot point to itself`);
      for (const t of normalized) warnIfDangling(directory, t, 'target');
      const created = directory.addAlias(a.address, normalized);
      done(`added alias ${created.address} -> ${created.targets.join(', ')}`);
    })));

  withDataOption(alias.command('del'))
    .description('delete an alias')
    .argument('<address>', 'alias address')
    .action(action(async (address: string, opts: DataOpts) => withAccounts(opts.data, ({ directory }) => {
      const a = requireAlias(directory, address);
      const references = referencesTo(directory, a.address);
      directory.deleteAlias(a.address);
      done(`deleted alias ${a.address}`);
      warnReferences(references, a.address);
    })));

  withDataOption(alias.command('list'))
    .description('list aliases and their targets')
    .option('--domain <domain>', 'only aliases of this domain')
    .option('--json', 'print JSON')
    .action(action(async (opts: JsonOpts & { domain?: string }) => withAccounts(opts.data, ({ directory }) => {
      const domain = opts.domain !== undefined ? requireLocalDomain(directory, opts.domain) : undefined;
      printTable(directory.listAliases(domain).map((a) => ({ address: a.address, targets: a.targets })), opts.json ?? false);
    })));

  withDataOption(alias.command('show'))
    .description('show an alias and what each of its targets is')
    .argument('<address>', 'alias address')
    .option('--json', 'print JSON')
    .action(action(async (address: string, opts: JsonOpts) => withAccounts(opts.data, ({ directory }) => {
      const a = requireAlias(directory, address);
      const kinds = targetKinds(directory, a);
      if (opts.json) {
        printRecord({ address: a.address, targets: a.targets, resolution: kinds }, true);
        return;
      }
      printRecord({ address: a.address, targets: kinds.map((k) => `${k.target} (${k.kind})`) }, false);
    })));
}
