// `tandem cluster console-password`: prints the scrypt hash of a console password, to paste
// into `console.users` of the cluster configuration (the same file on every node). The
// password is read from a prompt (twice, echo off) or the first line of stdin, never argv.
import type { Command } from 'commander';
import { hashPassword } from '../lib/password-hash.ts';
import { action, CliError, readPassword } from './io.ts';

/** Short passwords fall to a guess even through scrypt; the login throttle only slows guessing. */
const MIN_LENGTH = 10;

export function registerConsoleCommands(program: Command): void {
  const cluster = program.commands.find((c) => c.name() === 'cluster') ?? program.command('cluster').description('the cluster service on a node');
  cluster.command('console-password')
    .description('print the scrypt hash of a web console password (for console.users in the cluster config)')
    .option('--user <name>', 'print a ready YAML entry for this user instead of the bare hash')
    .action(action(async (opts: { user?: string }) => {
      const password = await readPassword('Console password: ');
      if (password.length < MIN_LENGTH) throw new CliError(`the password must have at least ${MIN_LENGTH} characters (got ${password.length})`);
      const hash = await hashPassword(password);
      if (opts.user !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(opts.user)) throw new CliError(`--user must be 1-64 letters, digits, ., _, @ or - (got ${JSON.stringify(opts.user)})`, 2);
      // Single quotes: YAML takes the $ signs literally.
      process.stdout.write(opts.user !== undefined ? `    - { name: ${opts.user}, passwordHash: '${hash}' }\n` : `${hash}\n`);
    }));
}
