// The `tandem` command line: one program, sub-commands per area, `--help` everywhere.
// Each area registers its commands from its own module; this file only wires them.
import { Command } from 'commander';
import { registerInitCommand } from './mail-init.ts';
import { registerServeCommand } from './mail-serve.ts';
import { registerDemoCommand } from './demo.ts';

const program = new Command('tandem')
  .description('Tandem: a highly available mail system (mail server and failover cluster manager)')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)');

const mail = program.command('mail').description('the mail server: data volume, accounts, services, queue');
registerInitCommand(mail);
registerServeCommand(mail);
registerDemoCommand(program);

await program.parseAsync(process.argv);
