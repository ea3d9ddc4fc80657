// `tandem mail serve SERVICE...|all`: one service runs in this process; several (or
// "all") run as one child process each under a small supervisor.
import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runService } from '../mail/serve/run-service.ts';
import { serviceNames } from '../mail/serve/registry.ts';
import { Supervisor } from '../mail/serve/supervisor.ts';
import { action, CliError } from './io.ts';

export function registerServeCommand(mail: Command): void {
  mail.command('serve')
    .description(`run mail services from a data volume: ${serviceNames().join(', ') || '(none yet)'}, or "all"; one process per service`)
    .argument('<services...>', 'service names, or "all"')
    .requiredOption('--data <dir>', 'data volume directory', process.env.TANDEM_DATA)
    .option('--log-dir <dir>', 'with several services: write each one\'s log to DIR/NAME.log instead of stderr')
    .action(action(async (names: string[], opts: { data: string; logDir?: string }) => {
      const services = names.includes('all') ? serviceNames() : names;
      const unknown = services.filter((s) => !serviceNames().includes(s));
      if (unknown.length > 0) throw new CliError(`unknown service ${unknown.join(', ')}; this build has: ${serviceNames().join(', ')}`);
      if (services.length === 1) {
        await runService(services[0]!, opts.data);
        return;
      }
      if (opts.logDir) await mkdir(opts.logDir, { recursive: true });
      const supervisor = new Supervisor({
        services,
        dataDir: opts.data,
        logSink: (name) => (opts.logDir ? createWriteStream(join(opts.logDir, `${name}.log`), { flags: 'a' }) : process.stderr),
        onReady: (r) => process.stdout.write(`${r.service} ready ${r.listening.length ? `on ${r.listening.join(', ')}` : '(no listeners)'} (pid ${r.pid})\n`),
        onEvent: (text) => process.stderr.write(`tandem: ${text}\n`),
      });
      await supervisor.start().catch(async (err: Error) => {
        await supervisor.stop();
        throw new CliError(err.message);
      });
      await waitForSignalOrFailure(supervisor);
    }));
}

/** Resolves on SIGINT/SIGTERM (after stopping the children) or rejects if a child keeps dying. */
export async function waitForSignalOrFailure(supervisor: Supervisor): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onSignal = () => {
      process.stdout.write('stopping...\n');
      supervisor.stop().then(resolve, reject);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    supervisor.done.catch(async (err: Error) => {
      await supervisor.stop();
      reject(new CliError(err.message));
    });
  });
}
