// `tandem mail domain add|del|list|show|catchall`: the mail domains this volume serves.
// Deleting refuses while accounts remain and for the primary domain, which cfg/mail.yaml
// uses for postmaster and bounces. Works on this host's volume (--data) or through the
// admin API at the VIP (--remote); see src/cli/remote/.
import type { Command } from 'commander';
import { action, CliError, printTable } from './io.ts';
import { printRecord, done } from './mail-accounts.ts';
import { withTargetOptions, type TargetOpts } from './remote/target.ts';
import { withAdmin, seg } from './remote/admin.ts';
import type { DomainView } from '../mail/http/admin/account-ops.ts';

interface JsonOpts extends TargetOpts { json?: boolean }

const summary = (d: DomainView) => ({ name: d.name, catchall: d.catchall, users: d.users, aliases: d.aliases, lists: d.lists });

export function registerDomainCommands(mail: Command): void {
  const domain = mail.command('domain').description('mail domains served by this volume');

  withTargetOptions(domain.command('add'))
    .description('start serving a mail domain')
    .argument('<name>', 'domain name, e.g. example.com')
    .action(action(async (name: string, opts: TargetOpts) => withAdmin(opts, async (api) => {
      const d = await api.call<DomainView>('POST', '/domains', { body: { name } });
      done(`added domain ${d.name}`);
    })));

  withTargetOptions(domain.command('del'))
    .description('stop serving a domain (refused while it has users, aliases or lists)')
    .argument('<name>', 'domain name')
    .action(action(async (name: string, opts: TargetOpts) => withAdmin(opts, async (api) => {
      const d = await api.call<DomainView>('GET', `/domains/${seg(name)}`);
      await api.call('DELETE', `/domains/${seg(d.name)}`);
      done(`deleted domain ${d.name}`);
    })));

  withTargetOptions(domain.command('list'))
    .description('list the local domains with their account counts')
    .option('--json', 'print JSON')
    .action(action(async (opts: JsonOpts) => withAdmin(opts, async (api) => {
      printTable((await api.call<DomainView[]>('GET', '/domains')).map(summary), opts.json ?? false);
    })));

  withTargetOptions(domain.command('show'))
    .description('show one domain: catch-all and accounts')
    .argument('<name>', 'domain name')
    .option('--json', 'print JSON')
    .action(action(async (name: string, opts: JsonOpts) => withAdmin(opts, async (api) => {
      const d = await api.call<DomainView & { createdAt: string }>('GET', `/domains/${seg(name)}`);
      printRecord({ ...summary(d), primary: d.primary, created: d.createdAt }, opts.json ?? false);
    })));

  withTargetOptions(domain.command('catchall'))
    .description('send mail for unknown addresses of a domain to ADDRESS (or stop with --clear)')
    .argument('<name>', 'domain name')
    .argument('[address]', 'where mail for unknown local parts goes')
    .option('--clear', 'remove the catch-all: unknown addresses are rejected again')
    .action(action(async (name: string, address: string | undefined, opts: TargetOpts & { clear?: boolean }) => {
      if (opts.clear && address !== undefined) throw new CliError('give either an ADDRESS or --clear, not both');
      if (!opts.clear && address === undefined) throw new CliError('give the catch-all ADDRESS, or --clear to remove it');
      await withAdmin(opts, async (api) => {
        const d = await api.call<DomainView>('PUT', `/domains/${seg(name)}/catchall`, { body: { target: opts.clear ? null : address } });
        if (d.catchall === null) done(`domain ${d.name}: catch-all removed; mail to unknown addresses is rejected`);
        else done(`domain ${d.name}: mail to unknown addresses goes to ${d.catchall}`);
      });
    }));
}
