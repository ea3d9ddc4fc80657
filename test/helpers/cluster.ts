// Test harness for cluster integration tests: a cluster of real `tandem node start`
// processes on loopback addresses (127.X.Y.n, one block per harness), a disk arbiter in a
// temp dir, the test agents of cluster-agent.ts, and a signed API client. Every wait is
// bounded; cleanup kills every process it started by PID and removes the temp dir.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { deriveKeys } from '../../src/cluster/transport/auth.ts';
import { rpc } from '../../src/cluster/transport/rpc.ts';
import type { ClusterEvent } from '../../src/cluster/model/event.ts';

export const TANDEM_BIN = fileURLToPath(new URL('../../bin/tandem.js', import.meta.url));
export const TEST_AGENTS = fileURLToPath(new URL('./cluster-agent.ts', import.meta.url));
export const SECRET = 'test-secret-0123456789abcdef';

/** Polls until `check` returns a truthy value or the deadline passes (then throws, saying what). */
export async function eventually<T>(what: string, check: () => T | Promise<T>, timeoutMs = 20_000, stepMs = 100): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) { last = err; }
    await sleep(stepMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

async function portFree(host: string, port: number): Promise<boolean> {
  const tcp = await new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
  if (!tcp) return false;
  return new Promise<boolean>((resolve) => {
    const u = createSocket('udp4');
    u.once('error', () => resolve(false));
    u.bind(port, host, () => u.close(() => resolve(true)));
  });
}

/** A port free for both TCP and UDP on `host`, picked by the OS. */
export async function freePort(host: string): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, host, () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
    });
    if (await portFree(host, port)) return port;
  }
  throw new Error(`no free port on ${host}`);
}

export interface NodeSpec { name: string; address: string; port: number }

export interface NodeProcess {
  readonly name: string;
  readonly stateDir: string;
  proc: ChildProcess;
  pid: number;
  guardPid: number | null;
  stderr(): string;
}

export interface ClusterOptions {
  nodes: number;
  /** Builds the `groups` section from the harness (marker dir, node names). */
  groups: (h: ClusterHarness) => unknown[];
  heartbeatMs?: number;
  leaseTtlMs?: number;
  /** Use the built-in agents (src/cluster/agents) instead of the test agents. */
  realAgents?: boolean;
  /** Per-node config overrides (for the config mismatch test). */
  configFor?: (node: string, base: Record<string, unknown>) => Record<string, unknown>;
}

export class ClusterHarness {
  readonly dir: string;
  readonly markers: string;
  readonly arbiterDir: string;
  readonly nodes: NodeSpec[] = [];
  readonly running = new Map<string, NodeProcess>();
  private readonly started: ChildProcess[] = [];
  private readonly guards = new Set<number>();
  readonly block: string;
  readonly keys = deriveKeys('testcluster', SECRET);

  constructor(private readonly opts: ClusterOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'tandem-cluster-'));
    this.markers = join(this.dir, 'markers');
    this.arbiterDir = join(this.dir, 'arbiter');
    mkdirSync(this.markers);
    // A loopback block of our own, so concurrent test files never share an address.
    this.block = `127.${20 + (process.pid % 200)}.${Math.floor(Math.random() * 250)}`;
  }

  names(): string[] {
    return this.nodes.map((n) => n.name);
  }

  async init(): Promise<this> {
    for (let i = 1; i <= this.opts.nodes; i++) {
      const address = `${this.block}.${i}`;
      this.nodes.push({ name: `sv${i}`, address, port: await freePort(address) });
    }
    for (const n of this.nodes) this.writeConfig(n.name);
    return this;
  }

  configPath(node: string): string {
    return join(this.dir, `cluster-${node}.json`);
  }

  baseConfig(): Record<string, unknown> {
    return {
      version: 1,
      cluster: { name: 'testcluster', secret: SECRET },
      nodes: this.nodes.map((n) => ({ name: n.name, addresses: [n.address], port: n.port })),
      heartbeat: { interval: this.opts.heartbeatMs ?? 200, timeout: 6 * (this.opts.heartbeatMs ?? 200) },
      arbiter: { type: 'disk', path: this.arbiterDir, leaseTtl: this.opts.leaseTtlMs ?? 3000 },
      groups: this.opts.groups(this),
      alerts: [{ type: 'log' }],
    };
  }

  writeConfig(node: string): void {
    const base = this.baseConfig();
    writeFileSync(this.configPath(node), JSON.stringify(this.opts.configFor ? this.opts.configFor(node, base) : base, null, 2));
  }

  async start(name: string): Promise<NodeProcess> {
    const stateDir = join(this.dir, 'state', name);
    const proc = spawn(process.execPath, [TANDEM_BIN, 'node', 'start', '--config', this.configPath(name), '--node', name, '--state', stateDir, ...(this.opts.realAgents ? [] : ['--agents', TEST_AGENTS])], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TANDEM_LOG_LEVEL: 'info' },
    });
    this.started.push(proc);
    let err = '';
    proc.stderr!.on('data', (c: Buffer) => { err = (err + c.toString()).slice(-200_000); });
    const ready = await new Promise<{ pid: number; guardPid: number | null }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${name} not ready in 30 s; stderr:\n${err.slice(-3000)}`)), 30_000);
      createInterface({ input: proc.stdout! }).on('line', (line) => {
        if (!line.startsWith('TANDEM-READY ')) return;
        clearTimeout(timer);
        resolve(JSON.parse(line.slice('TANDEM-READY '.length)) as { pid: number; guardPid: number | null });
      });
      proc.once('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`node ${name} exited before ready (${sig ?? code}); stderr:\n${err.slice(-3000)}`)); });
    });
    if (ready.guardPid) this.guards.add(ready.guardPid);
    const np: NodeProcess = { name, stateDir, proc, pid: ready.pid, guardPid: ready.guardPid, stderr: () => err };
    this.running.set(name, np);
    return np;
  }

  signal(name: string, sig: NodeJS.Signals): void {
    const n = this.running.get(name);
    if (!n) throw new Error(`node ${name} is not running`);
    process.kill(n.pid, sig);
  }

  /** SIGKILLs the daemon (continuing it first) and waits for its exit. */
  async kill(name: string): Promise<void> {
    const n = this.running.get(name);
    if (!n) return;
    this.running.delete(name);
    if (n.proc.exitCode !== null || n.proc.signalCode !== null) return;
    const gone = new Promise<void>((r) => n.proc.once('exit', () => r()));
    try { process.kill(n.pid, 'SIGCONT'); process.kill(n.pid, 'SIGKILL'); } catch { /* gone */ }
    await gone;
  }

  /** Graceful stop (SIGTERM) with a bound. */
  async stop(name: string): Promise<void> {
    const n = this.running.get(name);
    if (!n) return;
    const gone = new Promise<void>((r) => n.proc.once('exit', () => r()));
    process.kill(n.pid, 'SIGTERM');
    await Promise.race([gone, sleep(15_000)]);
    await this.kill(name);
  }

  async api<T>(node: string, method: 'GET' | 'POST', path: string, body: unknown = {}): Promise<T> {
    const spec = this.nodes.find((n) => n.name === node)!;
    const r = await rpc<T>(this.keys, 'cli', { host: spec.address, port: spec.port }, method, path, body, 10_000);
    if (!r.ok) throw new Error(`${method} ${path} on ${node}: ${r.status} ${r.reason}`);
    return r.body;
  }

  /** The status as `node` reports it. */
  status(node: string): Promise<StatusShape> {
    return this.api<StatusShape>(node, 'GET', '/api/status');
  }

  events(node: string): ClusterEvent[] {
    const file = join(this.dir, 'state', node, 'events.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).flatMap((l) => { try { return [JSON.parse(l) as ClusterEvent]; } catch { return []; } });
  }

  guardLog(node: string): Array<{ kind: string; message: string; killed?: number[]; vips?: string[] }> {
    const file = join(this.dir, 'state', node, 'guard.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; message: string });
  }

  /** Marker files: which nodes run group/resource now. */
  runners(group: string, resource: string): string[] {
    return this.names().filter((n) => existsSync(join(this.markers, `${group}.${resource}.${n}`)));
  }

  history(): Array<{ wall: number; node: string; group: string; resource: string; op: string; epoch: number; event: string }> {
    const file = join(this.markers, 'history.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { wall: number; node: string; group: string; resource: string; op: string; epoch: number; event: string });
  }

  /** Runs the real CLI against this cluster (as an operator would). */
  cli(args: string[], node?: string): { code: number; stdout: string; stderr: string } {
    const target = ['--config', this.configPath(node ?? 'sv1'), ...(node ? ['--node', node] : [])];
    const dash = args.indexOf('--');
    const full = dash < 0 ? [...args, ...target] : [...args.slice(0, dash), ...target, ...args.slice(dash)];
    const r = spawnSync(process.execPath, [TANDEM_BIN, ...full], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, TANDEM_LOG_LEVEL: 'silent' } });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  async cleanup(vips: string[] = []): Promise<void> {
    for (const name of [...this.running.keys()]) await this.kill(name);
    for (const p of this.started) {
      if (p.exitCode === null && p.signalCode === null && p.pid) { try { process.kill(p.pid, 'SIGCONT'); process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
    }
    // Guards fence and exit when their pipe closes; give them a moment, then make sure.
    await sleep(300);
    for (const pid of this.guards) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    for (const v of vips) spawnSync('ip', ['addr', 'del', `${v}/32`, 'dev', 'lo'], { stdio: 'ignore' });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface StatusShape {
  node: string;
  summary: string;
  nodes: Array<{ name: string; reachable: boolean; configHashMatches: boolean; stopped: boolean; differences?: Array<{ path: string }> | string }>;
  groups: Array<{ name: string; holder: string | null; epoch: number; request: string; moveTo: string | null; suspended: string[]; resources: Record<string, Record<string, string>>; failures: unknown[] }>;
  services: Array<{ name: string; pid: number | null; state: string; restarts: number }>;
  channel: { accepted: number; refused: number; lastRefusal: string | null };
}

export function hasAddressOnLo(address: string): boolean {
  const r = spawnSync('ip', ['-o', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' });
  return (r.stdout ?? '').split('\n').some((l) => l.includes(` ${address}/`));
}

/** Alive and not a zombie (a killed child of a stopped daemon stays a zombie until reaped). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export const isRoot = (): boolean => process.getuid?.() === 0;
