// `tandem demo` (what `npm start` runs): every mail service this build has, from
// var/demo/, on 127.0.0.100 with the demo ports. Until the cluster exists it runs
// the services under the local supervisor; Ctrl-C stops everything cleanly.
import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DEMO, demoRoot, ensureDemoVolume } from '../demo/demo-volume.ts';
import { serviceNames } from '../mail/serve/registry.ts';
import { Supervisor } from '../mail/serve/supervisor.ts';
import { waitForSignalOrFailure } from './mail-serve.ts';
import { action, CliError } from './io.ts';

export function registerDemoCommand(program: Command): void {
  program.command('demo')
    .description('run the one-machine demo: all mail services on 127.0.0.100 from var/demo/ (what `npm start` runs)')
    .option('--dir <dir>', 'demo state directory', demoRoot())
    .action(action(async (opts: { dir: string }) => {
      const { layout, created } = await ensureDemoVolume(opts.dir);
      const logDir = join(opts.dir, 'logs');
      await mkdir(logDir, { recursive: true });
      const services = serviceNames();
      if (services.length === 0) throw new CliError('this build has no mail services to run');
      process.stdout.write(`${created ? 'Created' : 'Reusing'} the demo mail volume ${layout.root}\n`);
      const supervisor = new Supervisor({
        services,
        dataDir: layout.root,
        logSink: (name) => createWriteStream(join(logDir, `${name}.log`), { flags: 'a' }),
        onEvent: (text) => process.stderr.write(`tandem: ${text}\n`),
      });
      const ready = await supervisor.start().catch(async (err: Error) => {
        await supervisor.stop();
        throw new CliError(`${err.message} (logs in ${logDir})`);
      });
      process.stdout.write(demoBanner(ready.map((r) => ({ service: r.service, listening: r.listening })), logDir, layout.root));
      await waitForSignalOrFailure(supervisor);
    }));
}

function demoBanner(ready: Array<{ service: string; listening: string[] }>, logDir: string, dataDir: string): string {
  const lines = [
    '',
    'Tandem demo is running. Domain demo.test on 127.0.0.100:',
    ...ready.map((r) => `  ${r.service.padEnd(10)} ${r.listening.join('  ')}`),
    '',
    'Users (demo only):',
    ...DEMO.users.map((u) => `  ${u.address.padEnd(18)} password ${u.password}`),
    '',
    'Try it from another terminal:',
    `  swaks --server 127.0.0.100:${DEMO.ports.smtp} --from bob@demo.test --to alice@demo.test`,
    `  curl -s pop3://127.0.0.100:${DEMO.ports.pop3}/ --user alice@demo.test:wonderland`,
    `  curl -s imap://127.0.0.100:${DEMO.ports.imap}/INBOX -X 'FETCH 1:* (FLAGS)' --user alice@demo.test:wonderland`,
    `  webmail and admin console: http://127.0.0.100:${DEMO.ports.http}/  (alice is an admin)`,
    `  npx tandem mail user list --data ${dataDir}`,
    '',
    `Logs: ${logDir}    Data: ${dataDir}`,
    'Press Ctrl-C to stop. The next `npm start` keeps this mail.',
    '',
  ];
  return `${lines.join('\n')}\n`;
}
