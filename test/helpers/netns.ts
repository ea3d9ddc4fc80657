// Test helper: a small network lab in Linux network namespaces (FRR topotests style).
// One namespace per node, each with `eth0` (a veth) plugged into a bridge that lives in
// its own "switch" namespace, addresses in 198.18.0.0/24 (the benchmarking range, never a
// real network). Nothing touches the host's own interfaces. Everything is removed by
// destroy(), at process exit, and by the next lab when the process that made it is dead.
import { spawnSync } from 'node:child_process';
import { runCommand, type RunResult } from '../../src/cluster/agents/run-command.ts';

export interface LabNodeSpec {
  readonly name: string;
  /** "198.18.0.N/24"; default 198.18.0.<index+1>/24. */
  readonly address?: string;
}

export interface LabNode {
  readonly name: string;
  /** The namespace's name, for `ip netns exec`. */
  readonly ns: string;
  /** Always eth0. */
  readonly iface: string;
  /** With prefix, e.g. 198.18.0.1/24. */
  readonly address: string;
  /** Without prefix. */
  readonly ip: string;
}

export interface Lab {
  readonly id: string;
  readonly nodes: Readonly<Record<string, LabNode>>;
  /** Runs a program inside a node's namespace (bounded by timeoutMs, default 60 s). */
  exec(node: string, command: string, args?: readonly string[], opts?: { timeoutMs?: number; env?: Record<string, string>; input?: string }): Promise<RunResult>;
  /** MAC address of a node's eth0. */
  mac(node: string): Promise<string>;
  /** Brings a node's cable up or down (the switch side), as pulling it would. */
  setLink(node: string, up: boolean): Promise<void>;
  /**
   * Sets the node's switch port to forwarding (true) or disabled (false): frames stop but
   * the node keeps its carrier, as with a hung switch port or a cut further away.
   */
  setPortForwarding(node: string, forwarding: boolean): Promise<void>;
  /** PIDs of every process running in a node's namespace (`ip netns pids`). */
  pids(node: string): Promise<number[]>;
  destroy(): Promise<void>;
}

const PREFIX = 'tandem-lab-';
const live = new Set<string>();
let exitHook = false;

function ipSync(args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 30_000 });
  return { ok: r.status === 0, out: r.stdout ?? '', err: (r.stderr ?? '').trim() || (r.error?.message ?? '') };
}

/** Null when labs can be made here, else why not (for `test(..., { skip })`). */
export function netnsSkipReason(): string | null {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'network namespaces need root';
  const probe = `${PREFIX}probe-${process.pid}`;
  const add = ipSync(['netns', 'add', probe]);
  if (!add.ok) return `cannot create a network namespace (${add.err || 'ip netns add failed'})`;
  ipSync(['netns', 'del', probe]);
  return null;
}

/** Removes namespaces left behind by lab processes that no longer exist. */
function reapStale(): void {
  const list = ipSync(['netns', 'list']);
  for (const line of list.out.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = /^tandem-lab-(\d+)-/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    let alive = true;
    try { process.kill(pid, 0); } catch (e) { alive = (e as NodeJS.ErrnoException).code === 'EPERM'; }
    if (!alive) ipSync(['netns', 'del', name]);
  }
}

function destroySync(namespaces: readonly string[]): void {
  for (const ns of namespaces) {
    ipSync(['netns', 'del', ns]);
    live.delete(ns);
  }
}

async function ip(args: string[]): Promise<void> {
  const r = await runCommand({ command: 'ip', args, timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.output.join(' / ')}`);
}

/**
 * Makes the lab. Throws (after cleaning up) when any step fails.
 * @example
 *   const lab = await createLab({ nodes: [{ name: 'a' }, { name: 'b' }] });
 *   try { await lab.exec('a', 'ping', ['-c1', lab.nodes.b.ip]); } finally { await lab.destroy(); }
 */
export async function createLab(spec: { nodes: readonly LabNodeSpec[] }): Promise<Lab> {
  reapStale();
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => destroySync([...live]));
  }
  const id = `${PREFIX}${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
  const sw = `${id}-sw`;
  const nodes: Record<string, LabNode> = {};
  const made: string[] = [];
  const destroy = async () => destroySync(made.splice(0));
  try {
    await ip(['netns', 'add', sw]);
    made.push(sw);
    live.add(sw);
    await ip(['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
    await ip(['-n', sw, 'link', 'set', 'br0', 'up']);
    for (const [i, n] of spec.nodes.entries()) {
      if (!/^[a-z0-9]{1,8}$/.test(n.name)) throw new Error(`lab node name ${n.name}: 1-8 lowercase letters or digits`);
      const address = n.address ?? `198.18.0.${i + 1}/24`;
      if (!address.startsWith('198.18.0.')) throw new Error(`lab addresses must be in 198.18.0.0/24 (got ${address})`);
      const ns = `${id}-${n.name}`;
      await ip(['netns', 'add', ns]);
      made.push(ns);
      live.add(ns);
      const port = `p-${n.name}`;
      await ip(['link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', port, 'netns', sw]);
      await ip(['-n', sw, 'link', 'set', port, 'master', 'br0']);
      await ip(['-n', sw, 'link', 'set', port, 'up']);
      await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      // IPv4 only: nothing (router solicitations, MLD) leaves or wanders the lab over IPv6.
      await runCommand({ command: 'ip', args: ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1'], timeoutMs: 30_000 });
      await ip(['-n', ns, 'addr', 'add', address, 'dev', 'eth0']);
      await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
      nodes[n.name] = { name: n.name, ns, iface: 'eth0', address, ip: address.split('/')[0] as string };
    }
  } catch (err) {
    await destroy();
    throw err;
  }
  const node = (name: string): LabNode => {
    const n = nodes[name];
    if (!n) throw new Error(`no lab node ${name}`);
    return n;
  };
  return {
    id,
    nodes,
    exec(name, command, args = [], opts = {}) {
      return runCommand({ command: 'ip', args: ['netns', 'exec', node(name).ns, command, ...args], timeoutMs: opts.timeoutMs ?? 60_000, env: opts.env, input: opts.input });
    },
    async mac(name) {
      const r = await runCommand({ command: 'ip', args: ['-n', node(name).ns, '-j', 'link', 'show', 'eth0'] });
      const parsed = JSON.parse(r.stdout) as Array<{ address: string }>;
      return parsed[0]?.address ?? '';
    },
    async setLink(name, up) {
      await ip(['-n', sw, 'link', 'set', `p-${node(name).name}`, up ? 'up' : 'down']);
    },
    async setPortForwarding(name, forwarding) {
      const r = await runCommand({ command: 'bridge', args: ['-n', sw, 'link', 'set', 'dev', `p-${node(name).name}`, 'state', forwarding ? '3' : '0'], timeoutMs: 30_000 });
      if (r.code !== 0) throw new Error(`bridge link set p-${name} failed: ${r.output.join(' / ')}`);
    },
    async pids(name) {
      const r = await runCommand({ command: 'ip', args: ['netns', 'pids', node(name).ns], timeoutMs: 30_000 });
      return r.stdout.split('\n').map((l) => Number(l.trim())).filter((p) => Number.isInteger(p) && p > 1);
    },
    destroy,
  };
}
