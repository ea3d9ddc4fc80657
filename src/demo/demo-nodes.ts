// The demo's node daemons: real `tandem node start` child processes, each in its own
// process group (so a Ctrl-C reaches the demo alone, which stops the nodes in order) and
// under `setpriv --pdeathsig TERM` where util-linux has it (so they stop if the demo dies).
// Ready means the daemon printed its TANDEM-READY line; stderr goes to a log file.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const TANDEM_BIN = fileURLToPath(new URL('../../bin/tandem.js', import.meta.url));

function findSetpriv(): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    if (dir && existsSync(`${dir}/setpriv`)) return `${dir}/setpriv`;
  }
  return null;
}

export interface DemoNodeOptions {
  readonly name: string;
  readonly configPath: string;
  readonly stateDir: string;
  readonly logFile: string;
}

export interface NodeExit { readonly code: number | null; readonly signal: NodeJS.Signals | null }

/** One node daemon of the demo; start() may be called again after it exited. */
export class DemoNode {
  pid: number | null = null;
  guardPid: number | null = null;
  private child: ChildProcess | null = null;
  private exit: Promise<NodeExit> = Promise.resolve({ code: 0, signal: null });

  constructor(readonly opts: DemoNodeOptions) {}

  get name(): string {
    return this.opts.name;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when the daemon exits (at once if it is not running). */
  get exited(): Promise<NodeExit> {
    return this.exit;
  }

  /** Spawns the daemon and waits for its TANDEM-READY line. */
  async start(timeoutMs = 60_000): Promise<void> {
    const setpriv = findSetpriv();
    const daemon = [process.execPath, TANDEM_BIN, 'node', 'start', '--config', this.opts.configPath, '--node', this.opts.name, '--state', this.opts.stateDir];
    const argv = setpriv ? [setpriv, '--pdeathsig', 'TERM', '--', ...daemon] : daemon;
    const log = openSync(this.opts.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', 'pipe', log], env: { ...process.env, TANDEM_LOG_LEVEL: process.env.TANDEM_LOG_LEVEL ?? 'info' } });
    } finally {
      closeSync(log);
    }
    this.child = child;
    this.exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const ready = await new Promise<{ pid: number; guardPid: number | null }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${this.name} did not start within ${timeoutMs / 1000} s (see ${this.opts.logFile})`)), timeoutMs);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (!line.startsWith('TANDEM-READY ')) return;
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line.slice('TANDEM-READY '.length)) as { pid: number; guardPid: number | null });
        } catch (err) {
          reject(err as Error);
        }
      });
      child.once('error', (err) => { clearTimeout(timer); reject(err); });
      child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`node ${this.name} exited before it was ready (${signal ?? `code ${code}`}); see ${this.opts.logFile}`)); });
    }).catch(async (err: Error) => {
      await this.kill();
      throw err;
    });
    this.pid = ready.pid;
    this.guardPid = ready.guardPid;
  }

  /** SIGTERM: the daemon stops its resources and releases its leases; SIGKILL after `graceMs`. */
  async stop(graceMs = 120_000): Promise<'stopped' | 'killed'> {
    if (!this.running) return 'stopped';
    this.child!.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exit.then(() => false),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), graceMs); }),
    ]);
    clearTimeout(timer);
    if (!timedOut) return 'stopped';
    await this.kill();
    return 'killed';
  }

  /** SIGKILL (its guard then stops whatever it ran) and wait for the exit. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGKILL');
    await this.exit;
  }
}
