// `tandem mail init`: creates a data volume (layout, settings, TLS, accounts database).
import { Option, type Command } from 'commander';
import { initVolume } from '../mail/core/volume.ts';
import { Directory } from '../mail/directory/directory.ts';
import { action, CliError } from './io.ts';

export function registerInitCommand(mail: Command): void {
  mail.command('init')
    .description('create a new mail data volume: settings, TLS certificate, accounts database, mail store, queue')
    .requiredOption('--data <dir>', 'data volume directory (created if missing)')
    .requiredOption('--hostname <host>', 'official mail host name (the VIP\'s DNS name in a cluster)')
    .requiredOption('--domain <domain>', 'first local mail domain')
    .option('--listen <address>', 'address every service binds to (the VIP)', '0.0.0.0')
    .addOption(new Option('--remote <url>').hideHelp())
    .action(action(async (opts: { data: string; hostname: string; domain: string; listen: string; remote?: string }) => {
      // The other mail commands also work through the VIP; this one makes the volume itself.
      if (opts.remote !== undefined) throw new CliError('"tandem mail init" creates a volume on this host; it has no remote mode: run it with --data DIR on the node that will hold the volume', 2);
      const layout = await initVolume(opts.data, { hostname: opts.hostname, domain: opts.domain, settings: { listen: { address: opts.listen } as never } });
      const dir = Directory.open(layout.accountsDb);
      try {
        dir.addDomain(opts.domain);
      } finally {
        dir.close();
      }
      process.stdout.write(`created mail volume ${layout.root}\n  settings: ${layout.settingsFile}\n  domain:   ${opts.domain}\n`);
    }));
}
