// `tandem mail alias add|del|list|show`: addresses that forward to one or more targets
// (local users, lists, other aliases or remote addresses). Users may send as the
// aliases that reach them (Directory.sendersFor). Works on this host's volume (--data)
// or through the admin API at the VIP (--remote).
import type { Command } from 'commander';
import type { Alias } from '../mail/directory/directory.ts';
import type { TargetKinds } from '../mail/http/admin/account-ops.ts';
import { action, printTable } from './io.ts';
import { printRecord, done } from './mail-accounts.ts';
import { withTargetOptions, type TargetOpts } from './remote/target.ts';
import { withAdmin, seg } from './remote/admin.ts';

interface JsonOpts extends TargetOpts { json?: boolean }

export function registerAliasCommands(mail: Command): void {
  const alias = mail.command('alias').description('aliases: addresses that forward mail to other addresses');

  withTargetOptions(alias.command('add'))
    .description('add an alias that forwards to one or more target addresses')
    .argument('<address>', 'alias address in a local domain, e.g. postmaster@example.com')
    .argument('<targets...>', 'where its mail goes: local users, lists, aliases or remote addresses')
    .action(action(async (address: string, targets: string[], opts: TargetOpts) => withAdmin(opts, async (api) => {
      const created = await api.call<Alias>('POST', '/aliases', { body: { address, targets } });
      done(`added alias ${created.address} -> ${created.targets.join(', ')}`);
    })));

  withTargetOptions(alias.command('del'))
    .description('delete an alias')
    .argument('<address>', 'alias address')
    .action(action(async (address: string, opts: TargetOpts) => withAdmin(opts, async (api) => {
      const a = await api.call<Alias>('GET', `/aliases/${seg(address)}`);
      await api.call('DELETE', `/aliases/${seg(a.address)}`);
      done(`deleted alias ${a.address}`);
    })));

  withTargetOptions(alias.command('list'))
    .description('list aliases and their targets')
    .option('--domain <domain>', 'only aliases of this domain')
    .option('--json', 'print JSON')
    .action(action(async (opts: JsonOpts & { domain?: string }) => withAdmin(opts, async (api) => {
      const aliases = await api.call<Alias[]>('GET', '/aliases', { query: { domain: opts.domain } });
      printTable(aliases.map((a) => ({ address: a.address, targets: a.targets })), opts.json ?? false);
    })));

  withTargetOptions(alias.command('show'))
    .description('show an alias and what each of its targets is')
    .argument('<address>', 'alias address')
    .option('--json', 'print JSON')
    .action(action(async (address: string, opts: JsonOpts) => withAdmin(opts, async (api) => {
      const a = await api.call<Alias>('GET', `/aliases/${seg(address)}`);
      const kinds = await api.call<TargetKinds>('GET', `/aliases/${seg(a.address)}/targets`);
      if (opts.json) {
        printRecord({ address: a.address, targets: a.targets, resolution: kinds }, true);
        return;
      }
      printRecord({ address: a.address, targets: kinds.map((k) => `${k.target} (${k.kind})`) }, false);
    })));
}
