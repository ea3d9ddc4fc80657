// `tandem svc load|kill|restart` (the seed's ARMLOAD/ARMKILL): processes a group's start
// script hands to the daemon. Each runs in its own process group under the group that is
// running here; with --monitor an exit counts as a failure: restart up to R times within
// window H, then the on-fail policy (fail the group over, or stop this node's cluster service).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

// Above the mail services' drain (limits.drainTimeoutSeconds, 5 s by default, plus their own
// 5 s close bound), so a service draining to its limit exits by itself rather than by SIGKILL.
const KILL_GRACE_MS = 15_000;

export interface SvcSpec {
  readonly name: string;
  readonly group: string;
  readonly resource: string | null;
  readonly command: readonly string[];
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly monitor: boolean;
  readonly restarts: number;
  readonly windowMs: number;
  readonly onFail: 'failover' | 'stop-node' | 'none';
}

export interface SvcInfo {
  readonly name: string;
  readonly group: string;
  readonly resource: string | null;
  readonly pid: number | null;
  readonly state: 'running' | 'restarting' | 'exited' | 'failed';
  readonly restarts: number;
  readonly suspended: boolean;
}

interface Svc {
  spec: SvcSpec;
  child: ChildProcess | null;
  failures: number[];
  restarts: number;
  state: SvcInfo['state'];
  /** Set while we stop it on purpose (kill, restart, group stop): its exit is not a failure. */
  stopping: boolean;
  suspended: boolean;
}

export interface SvcEvents {
  event(kind: string, level: 'info' | 'warning' | 'error', svc: SvcSpec, message: string, data?: Record<string, unknown>): void;
  /** Restarts used up: the daemon applies `on-fail`. */
  exhausted(svc: SvcSpec, reason: string): void;
}

export class ServiceSupervisor {
  private readonly svcs = new Map<string, Svc>();

  constructor(private readonly events: SvcEvents, private readonly now: () => number = Date.now) {}

  list(): SvcInfo[] {
    return [...this.svcs.values()].map((s) => ({ name: s.spec.name, group: s.spec.group, resource: s.spec.resource, pid: s.child?.pid ?? null, state: s.state, restarts: s.restarts, suspended: s.suspended }));
  }

  /** Process group ids of everything running (for the guard). */
  pgids(): number[] {
    return [...this.svcs.values()].flatMap((s) => (s.child?.pid && s.child.exitCode === null && s.child.signalCode === null ? [s.child.pid] : []));
  }

  has(name: string): boolean {
    return this.svcs.has(name);
  }

  load(spec: SvcSpec): SvcInfo {
    const existing = this.svcs.get(spec.name);
    if (existing && (existing.state === 'running' || existing.state === 'restarting')) throw new Error(`service ${spec.name} is already loaded (pid ${existing.child?.pid ?? '?'})`);
    const svc: Svc = { spec, child: null, failures: [], restarts: 0, state: 'running', stopping: false, suspended: false };
    this.svcs.set(spec.name, svc);
    this.spawn(svc);
    return this.list().find((s) => s.name === spec.name)!;
  }

  async kill(name: string): Promise<boolean> {
    const svc = this.svcs.get(name);
    if (!svc) return false;
    await this.stop(svc);
    this.svcs.delete(name);
    this.events.event('svc.killed', 'info', svc.spec, `service ${name} stopped`);
    return true;
  }

  /** Restart without counting a failure (S16: never a failover). */
  async restart(name: string): Promise<SvcInfo> {
    const svc = this.svcs.get(name);
    if (!svc) throw new Error(`no service ${name} is loaded on this node`);
    svc.suspended = true;
    try {
      await this.stop(svc);
      svc.state = 'running';
      this.spawn(svc);
    } finally {
      svc.suspended = false;
    }
    this.events.event('svc.restarted', 'info', svc.spec, `service ${name} restarted by the operator (monitor suspended meanwhile)`);
    return this.list().find((s) => s.name === name)!;
  }

  /** Stops every service of a group (the group stops here), or of one resource of it. */
  async killGroup(group: string, resource?: string): Promise<void> {
    const victims = [...this.svcs.values()].filter((s) => s.spec.group === group && (resource === undefined || s.spec.resource === resource));
    await Promise.all(victims.map((s) => this.kill(s.spec.name)));
  }

  async killAll(): Promise<void> {
    await Promise.all([...this.svcs.keys()].map((n) => this.kill(n)));
  }

  private spawn(svc: Svc): void {
    const [cmd, ...args] = svc.spec.command;
    const child = spawn(cmd as string, args, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: svc.spec.cwd,
      env: { ...process.env, ...svc.spec.env, TANDEM_SVC: svc.spec.name },
    });
    svc.child = child;
    svc.stopping = false;
    const relay = (stream: NodeJS.ReadableStream | null): void => {
      if (!stream) return;
      createInterface({ input: stream }).on('line', (line) => this.events.event('svc.output', 'info', svc.spec, line.slice(0, 2_000)));
    };
    relay(child.stdout);
    relay(child.stderr);
    child.once('error', (err) => this.events.event('svc.failed', 'error', svc.spec, `service ${svc.spec.name} could not start: ${err.message}`));
    child.once('exit', (code, signal) => this.exited(svc, child, code, signal));
    this.events.event('svc.started', 'info', svc.spec, `service ${svc.spec.name} started (pid ${child.pid ?? '?'})`, { pid: child.pid, command: svc.spec.command });
  }

  private exited(svc: Svc, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (svc.child !== child || svc.stopping || this.svcs.get(svc.spec.name) !== svc) return;
    const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
    if (!svc.spec.monitor || svc.suspended) {
      svc.state = 'exited';
      this.events.event('svc.exited', 'warning', svc.spec, `service ${svc.spec.name} ${how} (not monitored)`);
      return;
    }
    const now = this.now();
    svc.failures = [...svc.failures.filter((t) => now - t < svc.spec.windowMs), now];
    if (svc.failures.length <= svc.spec.restarts) {
      svc.restarts++;
      svc.state = 'running';
      this.events.event('svc.failed', 'warning', svc.spec, `service ${svc.spec.name} ${how}: restart ${svc.failures.length} of ${svc.spec.restarts} within ${svc.spec.windowMs / 1000} s`);
      this.spawn(svc);
      return;
    }
    svc.state = 'failed';
    const reason = `service ${svc.spec.name} ${how}: failed ${svc.failures.length} times within ${svc.spec.windowMs / 1000} s (restarts allowed: ${svc.spec.restarts})`;
    this.events.event('svc.failed', 'error', svc.spec, `${reason}; on-fail ${svc.spec.onFail}`);
    this.events.exhausted(svc.spec, reason);
  }

  private async stop(svc: Svc): Promise<void> {
    const child = svc.child;
    svc.stopping = true;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    signalGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), KILL_GRACE_MS);
    await gone;
    clearTimeout(timer);
    // Children of the service that ignored TERM and outlived it.
    signalGroup(child.pid, 'SIGKILL');
  }
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}
