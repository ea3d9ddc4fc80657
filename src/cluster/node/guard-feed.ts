// The daemon's side of the guard: spawns `tandem node guard` in its own session (so a
// signal to the daemon's process group does not reach it), keeps its stdin pipe, and sends
// the current lease deadline and resources after every renewal. Respawns a guard that died.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { GuardMessage } from './guard.ts';

const TANDEM_BIN = fileURLToPath(new URL('../../../bin/tandem.js', import.meta.url));

export class GuardFeed {
  private child: ChildProcess | null = null;
  private last: GuardMessage | null = null;
  private closing = false;

  constructor(private readonly stateDir: string, private readonly onEvent: (message: string, level: 'info' | 'error') => void) {}

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get alive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.closing) return;
    const child = spawn(process.execPath, [TANDEM_BIN, 'node', 'guard', '--state', this.stateDir], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
      env: { ...process.env, TANDEM_LOG_LEVEL: 'silent' },
    });
    child.stdin!.on('error', () => undefined);
    const startedAt = Date.now();
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = null;
      if (this.closing) return;
      // A guard that dies at once (broken install) is retried slowly, not in a tight loop.
      const delay = Date.now() - startedAt < 5_000 ? 5_000 : 0;
      this.onEvent(`guard process exited (${signal ?? code}); starting a new one${delay ? ` in ${delay / 1000} s` : ''}`, 'error');
      setTimeout(() => this.start(), delay).unref();
    });
    this.child = child;
    this.onEvent(`guard process started (pid ${child.pid ?? '?'})`, 'info');
    if (this.last) this.send(this.last);
  }

  send(msg: GuardMessage): void {
    this.last = msg;
    if (this.child?.stdin?.writable) this.child.stdin.write(`${JSON.stringify(msg)}\n`);
  }

  /** Clean stop: the guard exits without fencing (the daemon stopped everything itself). */
  async bye(): Promise<void> {
    this.closing = true;
    const child = this.child;
    if (!child) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.send({ t: 'bye' });
    child.stdin?.end();
    await Promise.race([gone, new Promise((r) => setTimeout(r, 3_000))]);
  }
}
