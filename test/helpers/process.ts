// Test helper: runs `tandem` commands and mail services as real child processes.
// A service is ready when it prints its TANDEM-READY line (listeners bound).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseReadyLine, type ReadyLine } from '../../src/mail/serve/run-service.ts';

export const TANDEM_BIN = fileURLToPath(new URL('../../bin/tandem.js', import.meta.url));

export interface ServiceProcess {
  readonly proc: ChildProcess;
  readonly ready: ReadyLine;
  /** Port of the listener whose "host:port" appears at `index` in the ready line. */
  port(index?: number): number;
  /** The captured stderr (JSON log lines) so far. */
  stderr(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function startServiceProcess(service: string, dataDir: string, opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ServiceProcess> {
  const proc = spawn(process.execPath, [TANDEM_BIN, 'mail', 'serve', service, '--data', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TANDEM_LOG_LEVEL: 'info', ...opts.env },
  });
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  const ready = await new Promise<ReadyLine>((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`${service} not ready in time; stderr:\n${err}`)); }, opts.timeoutMs ?? 30_000);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const r = parseReadyLine(line);
      if (r) { clearTimeout(timer); resolve(r); }
    });
    proc.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`${service} exited before ready (${signal ?? code}); stderr:\n${err}`)); });
  });
  return {
    proc,
    ready,
    port(index = 0) {
      const hostPort = ready.listening[index];
      if (!hostPort) throw new Error(`no listener #${index} in ${JSON.stringify(ready.listening)}`);
      return Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));
    },
    stderr: () => err,
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      return new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill(signal);
      });
    },
  };
}

/** Runs the CLI to completion and returns its exit code and output. */
export function runTandem(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [TANDEM_BIN, ...args], {
    input: opts.input ?? '',
    encoding: 'utf8',
    env: { ...process.env, TANDEM_LOG_LEVEL: 'silent', ...opts.env },
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
