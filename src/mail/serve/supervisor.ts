// A small supervisor for running every mail service on one host without a cluster
// (`tandem mail serve all`, the demo): one child process per service (S1), ready
// when each child announces it, restarted with backoff if it dies, and given up on
// after too many crashes in a row. The cluster's `service` resource replaces this.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseReadyLine, EXIT_WITH_PARENT_ENV, type ReadyLine } from './run-service.ts';

const TANDEM_BIN = fileURLToPath(new URL('../../../bin/tandem.js', import.meta.url));

export interface SupervisorOptions {
  services: string[];
  dataDir: string;
  /** Where each child's stderr (its JSON log) goes: a writable per service. */
  logSink: (service: string) => NodeJS.WritableStream;
  onReady?: (r: ReadyLine) => void;
  onEvent?: (text: string) => void;
  /** Restarts allowed within `windowMs` before the supervisor gives up. */
  maxRestarts?: number;
  windowMs?: number;
  readyTimeoutMs?: number;
}

interface Child { name: string; proc: ChildProcess | null; restarts: number[]; ready: boolean }

export class Supervisor {
  private readonly children = new Map<string, Child>();
  private stopping = false;
  private failed: ((err: Error) => void) | null = null;
  readonly done: Promise<void>;

  constructor(private readonly opts: SupervisorOptions) {
    this.done = new Promise<void>((_resolve, reject) => { this.failed = reject; });
    this.done.catch(() => undefined);
  }

  /** Starts every service; resolves when all are ready, rejects if one cannot start. */
  async start(): Promise<ReadyLine[]> {
    return Promise.all(this.opts.services.map((name) => {
      const child: Child = { name, proc: null, restarts: [], ready: false };
      this.children.set(name, child);
      return this.spawnChild(child);
    }));
  }

  private spawnChild(child: Child): Promise<ReadyLine> {
    // The child's stdin is a pipe we never write to: when this supervisor dies, even by
    // SIGKILL, the pipe closes and the child stops itself (run-service.ts), so no service
    // outlives the supervisor that owns its ports.
    const proc = spawn(process.execPath, [TANDEM_BIN, 'mail', 'serve', child.name, '--data', this.opts.dataDir], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, [EXIT_WITH_PARENT_ENV]: '1' },
    });
    child.proc = proc;
    child.ready = false;
    proc.stderr!.pipe(this.opts.logSink(child.name), { end: false });
    return new Promise<ReadyLine>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${child.name} did not become ready within ${(this.opts.readyTimeoutMs ?? 30_000) / 1000} s`));
        proc.kill('SIGKILL');
      }, this.opts.readyTimeoutMs ?? 30_000);
      createInterface({ input: proc.stdout! }).on('line', (line) => {
        const ready = parseReadyLine(line);
        if (!ready) return;
        clearTimeout(timer);
        child.ready = true;
        this.opts.onReady?.(ready);
        resolve(ready);
      });
      proc.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (!child.ready) reject(new Error(`${child.name} exited before it was ready (${signal ?? `exit code ${code}`}); see its log`));
        else this.onChildExit(child, code, signal);
      });
    });
  }

  private onChildExit(child: Child, code: number | null, signal: NodeJS.Signals | null): void {
    child.proc = null;
    if (this.stopping) return;
    const now = Date.now();
    const windowMs = this.opts.windowMs ?? 60_000;
    child.restarts = child.restarts.filter((t) => now - t < windowMs);
    if (child.restarts.length >= (this.opts.maxRestarts ?? 5)) {
      this.opts.onEvent?.(`${child.name} died ${child.restarts.length + 1} times within ${windowMs / 1000} s; giving up`);
      this.failed?.(new Error(`${child.name} keeps dying`));
      return;
    }
    child.restarts.push(now);
    const delay = Math.min(30_000, 500 * 2 ** (child.restarts.length - 1));
    this.opts.onEvent?.(`${child.name} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`);
    setTimeout(() => {
      if (this.stopping) return;
      this.spawnChild(child).catch((err: Error) => this.opts.onEvent?.(`${child.name} restart failed: ${err.message}`));
    }, delay).unref();
  }

  /** Stops every child: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.children.values()].map((child) => new Promise<void>((resolve) => {
      const proc = child.proc;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return resolve();
      const kill = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      proc.once('exit', () => { clearTimeout(kill); resolve(); });
      proc.kill('SIGTERM');
    })));
  }
}
