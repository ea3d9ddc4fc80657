// The `tandem` command line: one program, sub-commands per area, `--help` everywhere.
// Each area registers its commands from its own module; this file only wires them.
import { Command } from 'commander';
import { registerInitCommand } from './mail-init.ts';
import { registerDomainCommands } from './mail-domain.ts';
import { registerUserCommands } from './mail-user.ts';
import { registerAliasCommands } from './mail-alias.ts';
import { registerListCommands } from './mail-list.ts';
import { registerServeCommand } from './mail-serve.ts';
import { registerDemoCommand } from './demo.ts';
import { registerQueueCommands } from './mail-queue.ts';
import { registerNodeCommands } from './node.ts';
import { registerStatusCommands } from './cluster-status.ts';
import { registerClusterOpsCommands } from './cluster-ops.ts';
import { registerConsoleCommands } from './cluster-console.ts';
import { registerAdminCommands } from './mail-admin.ts';
import { registerReplicationCommands } from './mail-replication.ts';
import { registerCronCommands } from './mail-cron.ts';

const program = new Command('tandem')
  .description('Tandem: a highly available mail system (mail server and failover cluster manager)')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)');

const mail = program.command('mail').description('the mail server: data volume, accounts, services, queue');
registerInitCommand(mail);
registerDomainCommands(mail);
registerUserCommands(mail);
registerAliasCommands(mail);
registerListCommands(mail);
registerServeCommand(mail);
registerQueueCommands(mail);
registerAdminCommands(mail);
registerReplicationCommands(mail);
registerCronCommands(mail);
registerDemoCommand(program);
registerNodeCommands(program);
registerStatusCommands(program);
registerClusterOpsCommands(program);
registerConsoleCommands(program);

await program.parseAsync(process.argv);
