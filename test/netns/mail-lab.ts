// The multi-host mail lab (issue 5): real `tandem node start` daemons in Linux network
// namespaces on one bridge (198.18.0.0/24), a real VIP (iproute2 driver, gratuitous ARP),
// a shared temp directory as the mail volume, the real mail services as `service`
// resources, a client namespace, and for `arbiter: 'etcd'` a 3-member etcd in namespaces
// of its own. Built and removed by the tests themselves; docs/lab.md explains the layout.
//
//   sv1..svN  198.18.0.1..N   node daemons (and, while active, the VIP and the services)
//   e1..e3    198.18.0.11..13 etcd members (etcd arbiter only)
//   client    198.18.0.50     the mail client (SMTP, IMAP, POP3 to the VIP)
//   VIP       198.18.0.100    the mail group's address
//
// API, in the order a test uses it:
//   const lab = await createMailLab({ nodes: 2, arbiter: 'disk' });   // skip first: mailLabSkipReason()
//   try {
//     await lab.startAll();                      // daemons up (TANDEM-READY)
//     const active = await lab.waitServing();     // one node holds the VIP; SMTP, POP3 and IMAP answer there
//     const sender = lab.startSender({ durationMs: 60_000 });
//     await lab.killNode(active);                 // or pauseNode/resumeNode, cutLink/healLink, move
//     await lab.waitServing({ not: active });
//     const report = await sender.stop();         // every 250 with its Message-ID
//     const ids = await lab.readMailbox('imap');  // what the mailbox holds, seen from the client
//   } finally { await lab.destroy(); }           // kills every process by PID, deletes namespaces
//
// Every process the lab starts runs in one of its namespaces; destroy() kills what
// `ip netns pids` lists there (and the processes it spawned itself), by PID. A watchdog
// shell does the same if the test process dies without destroy().
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLab, netnsSkipReason, type Lab } from '../helpers/netns.ts';
import { etcdAvailable, ETCD_BIN } from '../helpers/etcd.ts';
import { runCommand, type RunResult } from '../../src/cluster/agents/run-command.ts';
import { readFence } from '../../src/lib/fence.ts';
import type { ClientEvent, ReadRequest, SendRequest } from './mail-client.ts';

export const TANDEM_BIN = fileURLToPath(new URL('../../bin/tandem.js', import.meta.url));
const CLIENT_SCRIPT = fileURLToPath(new URL('./mail-client.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

export const VIP = '198.18.0.100';
export const CLIENT_IP = '198.18.0.50';
export const HOSTNAME = 'mail.lab.test';
export const DOMAIN = 'lab.test';
export const USER = { address: `alice@${DOMAIN}`, password: 'lab-password-alice' } as const;
export const SECRET = 'lab-cluster-secret-0123456789';
/** The mail services the group runs and the port each is checked on (standard ports: each namespace has its own). */
export const SERVICE_PORTS = { smtp: 25, pop3: 110, imap: 143 } as const;
export type MailService = keyof typeof SERVICE_PORTS;

export type ArbiterKind = 'disk' | 'etcd';

export interface MailLabOptions {
  /** 2 to 4 node namespaces, sv1..svN, in group priority order. */
  readonly nodes: number;
  readonly arbiter: ArbiterKind;
  /** Default 300 ms / 3 s. */
  readonly heartbeatMs?: number;
  readonly heartbeatTimeoutMs?: number;
  /**
   * Default 3 s. Shorter leases (2 s is etcd's shortest) fail over faster but, on a machine
   * loaded like CI, a daemon stalled past `ttl - margin` loses its lease and the group moves
   * for no fault of the test's making.
   */
  readonly leaseTtlMs?: number;
  /** Node monitors (link of eth0, ping of the client); default true. */
  readonly nodeMonitors?: boolean;
  /**
   * `supervised` (default): one `service` resource, `tandem mail serve smtp pop3 imap`,
   * whose supervisor starts the three services in parallel (a failover costs one service
   * start, not three in a row). `separate`: one `service` resource per mail service, each
   * with its own monitor and restarts, started one after the other.
   */
  readonly services?: 'supervised' | 'separate';
}

/** Why the lab cannot run here, or null. */
export function mailLabSkipReason(arbiter: ArbiterKind = 'disk'): string | null {
  const netns = netnsSkipReason();
  if (netns) return `multi-host lab skipped: ${netns}`;
  if (!existsSync('/usr/sbin/arping') && !existsSync('/usr/bin/arping')) return 'multi-host lab skipped: arping is not installed (Debian arping or iputils-arping)';
  if (arbiter === 'etcd' && !etcdAvailable()) return 'multi-host lab skipped for the etcd arbiter: etcd is not installed (Debian etcd-server)';
  return null;
}

export interface Sample {
  /** Date.now() when the sample was taken. */
  readonly t: number;
  /** Nodes with the VIP on eth0. */
  readonly vip: readonly string[];
  /** Nodes with a live mail service process (a process that may write the volume); empty for events. */
  readonly volume: readonly string[];
  /** `sample`: a periodic look at every node; `event`: the VIP was added or deleted somewhere (ip monitor). */
  readonly source: 'sample' | 'event';
  /** What the volume's fence file said (samples only): the last activation's node and token. */
  readonly fence?: { readonly node: string; readonly token: number } | null;
}

export interface Sampler {
  readonly samples: readonly Sample[];
  /** The VIP's adds and deletes, each with the holders right after it. */
  readonly events: readonly Sample[];
  /** Samples and events where two or more nodes held the VIP or ran services on the volume. */
  violations(): Sample[];
  stop(): Promise<void>;
}

export interface SendReport {
  readonly acked: ReadonlyArray<{ seq: number; id: string; t: number }>;
  readonly failed: ReadonlyArray<{ seq: number; id: string; t: number; stage: string; reply: string }>;
  readonly attempted: number;
}

export interface Sender {
  /** Acknowledged (250) so far. */
  ackedCount(): number;
  /** Resolves once `n` more messages were acknowledged than when called (bounded). */
  waitAcks(n: number, timeoutMs?: number): Promise<void>;
  /** Ends the loop (after the message in flight) and returns the whole report. */
  stop(): Promise<SendReport>;
}

export interface MailLab {
  readonly lab: Lab;
  readonly dir: string;
  /** The mail volume (shared by every namespace through the filesystem). */
  readonly dataDir: string;
  readonly configFile: string;
  readonly nodeNames: readonly string[];
  readonly arbiter: ArbiterKind;
  readonly leaseTtlMs: number;
  /** The volume's self-signed certificate (the client trusts it and nothing else). */
  readonly caFile: string;

  /** Starts one node's daemon (also after killNode) and waits for TANDEM-READY. */
  startNode(name: string): Promise<void>;
  startAll(): Promise<void>;
  /** SIGKILL of the node's daemon and its mail services (its fencing guard is left to act). */
  killNode(name: string): Promise<void>;
  /** SIGSTOP of the node's daemon and services (the guard keeps running and fences at the lease deadline). */
  pauseNode(name: string): Promise<void>;
  resumeNode(name: string): Promise<void>;
  /** `carrier`: the switch port goes down (the node sees NO-CARRIER); `port`: frames stop, carrier stays. */
  cutLink(name: string, how?: 'carrier' | 'port'): Promise<void>;
  healLink(name: string): Promise<void>;
  /** `tandem group move mail --to NODE`, asked of `via` (default: the target). */
  move(to: string, via?: string): Promise<RunResult>;

  /** Nodes whose eth0 carries the VIP right now. */
  vipHolders(): Promise<string[]>;
  /** Nodes running a mail service process right now. */
  volumeUsers(): Promise<string[]>;
  /** The volume's fence: who activated it last, with which token. */
  fence(): Promise<{ node: string; token: number } | null>;
  /** The node whose MAC the client's neighbour table has for the VIP. */
  clientArpOwner(): Promise<string | null>;
  /** Waits (bounded) until exactly one node holds the VIP and every service answers there; returns it. */
  waitServing(opts?: { not?: string; timeoutMs?: number }): Promise<string>;
  /** Samples VIP holders and volume users every `everyMs` until stop(). */
  startSampler(everyMs?: number): Sampler;

  /** Runs a program in the client namespace. */
  clientExec(command: string, args?: readonly string[], opts?: { timeoutMs?: number; input?: string }): Promise<RunResult>;
  /** Runs the tandem CLI in a namespace (a node's or the client's), with the lab's config. */
  tandem(ns: string, args: readonly string[], opts?: { timeoutMs?: number; input?: string }): Promise<RunResult>;
  /** Starts the SMTP loop in the client namespace. */
  startSender(opts?: { count?: number; durationMs?: number; pauseMs?: number; runId?: string }): Sender;
  /** Message-IDs in alice's INBOX, read from the client namespace. */
  readMailbox(how: 'imap' | 'pop3'): Promise<string[]>;
  /** The same over IMAP and over POP3, in one client process. */
  readBoth(): Promise<{ imap: string[]; pop3: string[] }>;
  /** The node daemon's captured stderr (last 200 kB) and its log file. */
  nodeLog(name: string): string;
  destroy(): Promise<void>;
}

interface NodeProc { proc: ChildProcess; pid: number; guardPid: number | null; paused: boolean }

function nodeNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `sv${i + 1}`);
}

function etcdIp(i: number): string {
  return `198.18.0.${11 + i}`;
}

function clusterConfig(o: Required<MailLabOptions>, dir: string, dataDir: string): Record<string, unknown> {
  const names = nodeNames(o.nodes);
  const all = Object.keys(SERVICE_PORTS) as MailService[];
  const listening = (name: MailService): Record<string, unknown> => ({ name, kind: 'tcp', host: VIP, port: SERVICE_PORTS[name], interval: '2s', timeout: '2s', rise: 1, fall: 3, recovery: { restarts: 3, window: '60s', failover: true } });
  // Services bind the VIP only (listen.address), so they answer only where the group runs.
  const service = (name: string, services: readonly MailService[]): Record<string, unknown> => ({
    name, type: 'service', dependsOn: ['volume', 'vip'],
    timeouts: { start: '60s', stop: '20s', monitor: '10s' },
    params: { command: [process.execPath, TANDEM_BIN, 'mail', 'serve', ...services, '--data', dataDir], readyPort: SERVICE_PORTS[services[0]!], env: { TANDEM_LOG_LEVEL: 'warn' } },
    monitors: services.map(listening),
  });
  return {
    version: 1,
    cluster: { name: 'lab', secret: SECRET },
    nodes: names.map((name, i) => ({ name, addresses: [`198.18.0.${i + 1}`], port: 7400 })),
    heartbeat: { interval: o.heartbeatMs, timeout: o.heartbeatTimeoutMs },
    arbiter: o.arbiter === 'disk'
      ? { type: 'disk', path: join(dir, 'arbiter'), leaseTtl: o.leaseTtlMs }
      : { type: 'etcd', endpoints: [0, 1, 2].map((i) => `http://${etcdIp(i)}:2379`), leaseTtl: o.leaseTtlMs },
    // A node that loses its network hands the group over (the seed's ARMRSP): with the disk
    // arbiter it still sees the shared directory and would otherwise keep its lease. `link`
    // sees a pulled cable; `ping` of the client (the lab's "gateway": a host that never
    // fails in these tests) sees a cut that keeps the carrier. Not the other nodes: the
    // configuration is the same on every node, so a node would ping itself, and a dead
    // peer makes the whole ping probe wait for its timeout (see docs/lab.md).
    nodeMonitors: o.nodeMonitors
      ? [
        { name: 'uplink', kind: 'link', interface: 'eth0', interval: '1s', timeout: '1s', rise: 1, fall: 2 },
        { name: 'gateway', kind: 'ping', targets: [CLIENT_IP], interval: '1s', timeout: '1s', rise: 1, fall: 2 },
      ]
      : [],
    groups: [{
      name: 'mail', nodes: names, startup: 'auto', failback: 'manual',
      resources: [
        { name: 'volume', type: 'volume', params: { path: dataDir } },
        { name: 'vip', type: 'vip', params: { address: VIP, prefix: 24, driver: 'iproute2', interface: 'eth0' } },
        ...(o.services === 'separate' ? all.map((name) => service(name, [name])) : [service('mail', all)]),
      ],
    }],
    alerts: [{ type: 'log' }],
  };
}

/** Runs the tandem CLI in the root namespace (volume and account setup: files only). */
async function tandemHere(args: string[], input?: string): Promise<void> {
  const r = await runCommand({ command: process.execPath, args: [TANDEM_BIN, ...args], timeoutMs: 120_000, input, env: { TANDEM_LOG_LEVEL: 'warn' } });
  if (r.code !== 0) throw new Error(`tandem ${args.join(' ')} failed: ${r.output.join('\n')}`);
}

/**
 * If this process dies without destroy() (the runner's timeout), nothing else would stop
 * the lab: this shell holds a pipe from us and, at EOF, kills every process in the lab's
 * namespaces by PID, deletes the namespaces and the temp dir.
 */
function watchdog(namespaces: readonly string[], dir: string): ChildProcess {
  const script = 'read _gone; for ns in "$@"; do for p in $(ip netns pids "$ns" 2>/dev/null); do kill -CONT "$p"; kill -KILL "$p"; done; done; sleep 1; for ns in "$@"; do ip netns del "$ns" 2>/dev/null; done; rm -rf "$DIR"';
  const w = spawn('/bin/sh', ['-c', script, 'lab-watchdog', ...namespaces], { stdio: ['pipe', 'ignore', 'ignore'], env: { ...process.env, DIR: dir }, detached: true });
  (w.stdin as unknown as { unref(): void }).unref();
  w.unref();
  return w;
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try { process.kill(pid, sig); } catch { /* gone */ }
}

/** A mail service (`tandem mail serve NAME`) that is not a zombie. */
function isMailService(pid: number): boolean {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && cmd.includes('serve') && cmd.includes('mail');
  } catch {
    return false;
  }
}

export async function createMailLab(options: MailLabOptions): Promise<MailLab> {
  const o: Required<MailLabOptions> = { heartbeatMs: 300, heartbeatTimeoutMs: 3000, leaseTtlMs: 3000, nodeMonitors: true, services: 'supervised', ...options };
  if (o.nodes < 2 || o.nodes > 4) throw new Error(`the mail lab has 2 to 4 nodes (asked for ${o.nodes})`);
  const names = nodeNames(o.nodes);
  const etcdNames = o.arbiter === 'etcd' ? ['e1', 'e2', 'e3'] : [];
  const dir = mkdtempSync(join(tmpdir(), 'tandem-mail-lab-'));
  const dataDir = join(dir, 'mail');
  // The volume is made with the CLI while the namespaces are being built (both are slow).
  const volumeReady = (async () => {
    await tandemHere(['mail', 'init', '--data', dataDir, '--hostname', HOSTNAME, '--domain', DOMAIN, '--listen', VIP]);
    await tandemHere(['mail', 'user', 'add', USER.address, '--data', dataDir, '--name', 'Alice Lab'], `${USER.password}\n`);
  })();
  let lab: Lab;
  try {
    lab = await createLab({
      nodes: [
        ...names.map((name, i) => ({ name, address: `198.18.0.${i + 1}/24` })),
        ...etcdNames.map((name, i) => ({ name, address: `${etcdIp(i)}/24` })),
        { name: 'client', address: `${CLIENT_IP}/24` },
      ],
    });
  } catch (err) {
    await volumeReady.catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const namespaces = [`${lab.id}-sw`, ...Object.values(lab.nodes).map((n) => n.ns)];
  const dog = watchdog(namespaces, dir);
  const configFile = join(dir, 'cluster.json');
  const logs = join(dir, 'logs');
  const procs = new Map<string, NodeProc>();
  const spawned: ChildProcess[] = [];
  const stderrs = new Map<string, string>();
  const macs = new Map<string, string>();
  const cuts = new Map<string, 'carrier' | 'port'>();

  const destroy = async (): Promise<void> => {
    for (const p of spawned) if (p.exitCode === null && p.signalCode === null && p.pid) { signal(p.pid, 'SIGCONT'); signal(p.pid, 'SIGKILL'); }
    for (const n of Object.keys(lab.nodes)) {
      for (const pid of await lab.pids(n).catch(() => [])) { signal(pid, 'SIGCONT'); signal(pid, 'SIGKILL'); }
    }
    const until = Date.now() + 10_000;
    while (Date.now() < until && spawned.some((p) => p.exitCode === null && p.signalCode === null)) await sleep(50);
    await lab.destroy();
    dog.kill('SIGKILL');
    // TANDEM_LAB_KEEP=1 keeps the temp dir (node logs, state, the volume) for a post-mortem.
    if (process.env.TANDEM_LAB_KEEP === '1') process.stderr.write(`mail lab kept in ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  };

  try {
    mkdirSync(join(dir, 'arbiter'));
    mkdirSync(logs);
    writeFileSync(configFile, JSON.stringify(clusterConfig(o, dir, dataDir), null, 2));
    for (const n of names) macs.set(await lab.mac(n), n);
    await Promise.all([volumeReady, o.arbiter === 'etcd' ? startEtcd() : Promise.resolve()]);
  } catch (err) {
    await volumeReady.catch(() => undefined);
    await destroy();
    throw err;
  }

  async function startEtcd(): Promise<void> {
    const cluster = etcdNames.map((n, i) => `${n}=http://${etcdIp(i)}:2380`).join(',');
    etcdNames.forEach((n, i) => {
      const ip = etcdIp(i);
      // Fast raft settings (LAB-NOTES): election 500 ms, so leases of 1 s exist and losing
      // the leader costs a fraction of a second.
      const p = spawn('ip', ['netns', 'exec', lab.nodes[n]!.ns, ETCD_BIN, '--name', n, '--data-dir', join(dir, 'etcd', n),
        '--listen-client-urls', `http://${ip}:2379`, '--advertise-client-urls', `http://${ip}:2379`,
        '--listen-peer-urls', `http://${ip}:2380`, '--initial-advertise-peer-urls', `http://${ip}:2380`,
        '--initial-cluster', cluster, '--initial-cluster-state', 'new', '--initial-cluster-token', lab.id,
        '--election-timeout', '500', '--heartbeat-interval', '50', '--logger', 'zap', '--log-level', 'error'],
      { stdio: ['ignore', 'ignore', 'pipe'] });
      spawned.push(p);
      let err = '';
      p.stderr!.on('data', (c: Buffer) => { err = (err + c.toString()).slice(-20_000); stderrs.set(n, err); });
    });
    const until = Date.now() + 60_000;
    for (const [i] of etcdNames.entries()) {
      for (;;) {
        const r = await lab.exec('client', 'curl', ['-s', '-m', '2', `http://${etcdIp(i)}:2379/health`], { timeoutMs: 10_000 });
        if (/"health":"true"/.test(r.stdout)) break;
        if (Date.now() > until) throw new Error(`etcd member e${i + 1} not healthy in 60 s: ${stderrs.get(`e${i + 1}`) ?? ''}`);
        await sleep(200);
      }
    }
  }

  const nodeNs = (name: string): string => {
    const n = lab.nodes[name];
    if (!n) throw new Error(`no lab namespace ${name}`);
    return n.ns;
  };

  async function startNode(name: string): Promise<void> {
    if (!names.includes(name)) throw new Error(`no node ${name}`);
    const existing = procs.get(name);
    if (existing && alive(existing.pid)) throw new Error(`node ${name} is already running (pid ${existing.pid})`);
    const stateDir = join(dir, 'state', name);
    const logFile = join(logs, `${name}.log`);
    const proc = spawn('ip', ['netns', 'exec', nodeNs(name), process.execPath, TANDEM_BIN, 'node', 'start', '--config', configFile, '--node', name, '--state', stateDir], {
      stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO, env: { ...process.env, TANDEM_LOG_LEVEL: 'info' },
    });
    spawned.push(proc);
    proc.stderr!.on('data', (c: Buffer) => {
      stderrs.set(name, ((stderrs.get(name) ?? '') + c.toString()).slice(-200_000));
      try { appendFileSync(logFile, c); } catch { /* lab removed */ }
    });
    const ready = await new Promise<{ pid: number; guardPid: number | null }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${name} not ready in 60 s; stderr:\n${(stderrs.get(name) ?? '').slice(-3000)}`)), 60_000);
      createInterface({ input: proc.stdout! }).on('line', (line) => {
        if (!line.startsWith('TANDEM-READY ')) return;
        clearTimeout(timer);
        resolve(JSON.parse(line.slice('TANDEM-READY '.length)) as { pid: number; guardPid: number | null });
      });
      proc.once('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`node ${name} exited before ready (${sig ?? code}); stderr:\n${(stderrs.get(name) ?? '').slice(-3000)}`)); });
    });
    procs.set(name, { proc, pid: ready.pid, guardPid: ready.guardPid, paused: false });
  }

  /** PIDs of the mail services running in a node's namespace. */
  async function servicePids(name: string): Promise<number[]> {
    return (await lab.pids(name)).filter(isMailService);
  }

  async function vipHolders(): Promise<string[]> {
    const held = await Promise.all(names.map(async (n) => {
      const r = await runCommand({ command: 'ip', args: ['-n', nodeNs(n), '-o', '-4', 'addr', 'show', 'dev', 'eth0'], timeoutMs: 10_000 });
      return r.stdout.includes(`inet ${VIP}/`) ? n : null;
    }));
    return held.filter((n): n is string => n !== null);
  }

  async function volumeUsers(): Promise<string[]> {
    return Promise.resolve(volumeUsersNow());
  }

  /**
   * The same without spawning anything (cheap enough for every sample): scans /proc for
   * mail services whose network namespace is a node's.
   */
  function volumeUsersNow(): string[] {
    const byInode = new Map<string, string>();
    for (const n of names) {
      try { byInode.set(`net:[${statSync(`/run/netns/${nodeNs(n)}`).ino}]`, n); } catch { /* namespace gone */ }
    }
    const users = new Set<string>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let link: string;
      try { link = readlinkSync(`/proc/${entry}/ns/net`); } catch { continue; }
      const node = byInode.get(link);
      if (node && !users.has(node) && isMailService(Number(entry))) users.add(node);
    }
    return names.filter((n) => users.has(n));
  }

  function clientExec(command: string, args: readonly string[] = [], opts: { timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
    return lab.exec('client', command, args, { timeoutMs: opts.timeoutMs ?? 60_000, input: opts.input });
  }

  /** Runs mail-client.ts in the client namespace and returns its events. */
  async function runClient(req: ReadRequest): Promise<ClientEvent[]> {
    const r = await runCommand({
      command: 'ip', args: ['netns', 'exec', nodeNs('client'), process.execPath, '--import', 'tsx', CLIENT_SCRIPT, JSON.stringify(req)],
      cwd: REPO, timeoutMs: 120_000,
    });
    return r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as ClientEvent);
  }

  async function answers(port: number): Promise<boolean> {
    const r = await clientExec('bash', ['-c', `exec 3<>/dev/tcp/${VIP}/${port}`], { timeoutMs: 5_000 });
    return r.code === 0;
  }

  async function waitServing(opts: { not?: string; timeoutMs?: number } = {}): Promise<string> {
    const until = Date.now() + (opts.timeoutMs ?? 120_000);
    let last = '';
    while (Date.now() < until) {
      const holders = await vipHolders();
      last = `VIP on [${holders.join(', ')}]`;
      if (holders.length === 1 && holders[0] !== opts.not) {
        const up = await Promise.all(Object.values(SERVICE_PORTS).map(answers));
        last += `, ports ${Object.values(SERVICE_PORTS).filter((_, i) => !up[i]).join(', ') || 'all'} ${up.every(Boolean) ? 'answer' : 'silent'}`;
        if (up.every(Boolean) && (await vipHolders()).join() === holders[0]) return holders[0]!;
      }
      await sleep(200);
    }
    throw new Error(`the mail group did not come up${opts.not ? ` away from ${opts.not}` : ''} in time (${last}); node logs:\n${names.map((n) => `--- ${n}\n${(stderrs.get(n) ?? '').slice(-2500)}`).join('\n')}`);
  }

  function startSampler(everyMs = 50): Sampler {
    const samples: Sample[] = [];
    const events: Sample[] = [];
    let running = true;
    // Between samples, `ip monitor address` in every node namespace reports each add and
    // delete of the VIP as it happens: an overlap shorter than the sampling period is
    // caught too, at the instant of the event.
    const held = new Map<string, boolean>();
    const monitors = names.map((n) => {
      const m = spawn('ip', ['-n', nodeNs(n), 'monitor', 'address', 'dev', 'eth0'], { stdio: ['ignore', 'pipe', 'ignore'] });
      spawned.push(m);
      createInterface({ input: m.stdout! }).on('line', (line) => {
        if (!line.includes(`inet ${VIP}/`)) return;
        held.set(n, !line.startsWith('Deleted'));
        events.push({ t: Date.now(), vip: names.filter((x) => held.get(x)), volume: [], source: 'event' });
      });
      return m;
    });
    const loop = (async () => {
      for (const n of await vipHolders()) if (!held.has(n)) held.set(n, true);
      while (running) {
        const t = Date.now();
        const [vip, volume, f] = await Promise.all([vipHolders(), Promise.resolve(volumeUsersNow()), readFence(dataDir)]);
        samples.push({ t, vip, volume, source: 'sample', fence: f.kind === 'ok' ? { node: f.fence.node, token: f.fence.token } : null });
        if (samples.length > 100_000) samples.splice(0, 10_000);
        await sleep(Math.max(0, everyMs - (Date.now() - t)));
      }
    })();
    return {
      samples,
      events,
      violations: () => [...samples, ...events].filter((x) => x.vip.length > 1 || x.volume.length > 1).sort((a, b) => a.t - b.t),
      async stop() {
        running = false;
        await loop;
        for (const m of monitors) if (m.pid && m.exitCode === null) signal(m.pid, 'SIGKILL');
      },
    };
  }

  function startSender(opts: { count?: number; durationMs?: number; pauseMs?: number; runId?: string } = {}): Sender {
    const req: SendRequest = {
      mode: 'send', host: VIP, port: SERVICE_PORTS.smtp, from: `sender@client.${DOMAIN}`, to: USER.address,
      runId: opts.runId ?? `run${Date.now().toString(36)}`, count: opts.count ?? 5000, durationMs: opts.durationMs ?? 300_000,
      pauseMs: opts.pauseMs ?? 50, messageTimeoutMs: 15_000,
    };
    const proc = spawn('ip', ['netns', 'exec', nodeNs('client'), process.execPath, '--import', 'tsx', CLIENT_SCRIPT, JSON.stringify(req)], { stdio: ['pipe', 'pipe', 'pipe'], cwd: REPO });
    spawned.push(proc);
    const acked: Array<{ seq: number; id: string; t: number }> = [];
    const failed: Array<{ seq: number; id: string; t: number; stage: string; reply: string }> = [];
    let attempted = 0;
    let err = '';
    proc.stderr!.on('data', (c: Buffer) => { err = (err + c.toString()).slice(-10_000); });
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      let e: ClientEvent;
      try { e = JSON.parse(line) as ClientEvent; } catch { return; }
      if (e.ev === 'ack') acked.push({ seq: e.seq, id: e.id, t: e.t });
      else if (e.ev === 'fail') failed.push({ seq: e.seq, id: e.id, t: e.t, stage: e.stage, reply: e.reply });
      else if (e.ev === 'done') attempted = e.attempted;
    });
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    return {
      ackedCount: () => acked.length,
      async waitAcks(n, timeoutMs = 60_000) {
        const target = acked.length + n;
        const until = Date.now() + timeoutMs;
        while (acked.length < target) {
          if (proc.exitCode !== null) throw new Error(`the sender exited (${proc.exitCode}): ${err.slice(-2000)}`);
          if (Date.now() > until) throw new Error(`only ${acked.length - (target - n)} of ${n} messages acknowledged within ${timeoutMs} ms; last failures: ${JSON.stringify(failed.slice(-3))}`);
          await sleep(100);
        }
      },
      async stop() {
        proc.stdin!.end();
        await Promise.race([exited, sleep(30_000, undefined, { ref: false })]);
        if (proc.exitCode === null && proc.signalCode === null && proc.pid) { signal(proc.pid, 'SIGKILL'); await exited; }
        return { acked, failed, attempted: attempted || acked.length + failed.length };
      },
    };
  }

  async function readMailboxes(how: 'imap' | 'pop3' | 'both'): Promise<{ imap?: string[]; pop3?: string[] }> {
    const req: ReadRequest = {
      mode: how, host: VIP, port: SERVICE_PORTS[how === 'pop3' ? 'pop3' : 'imap'], pop3Port: SERVICE_PORTS.pop3,
      user: USER.address, password: USER.password, caFile: join(dataDir, 'cfg', 'tls', 'cert.pem'), servername: HOSTNAME,
    };
    const events = await runClient(req);
    const error = events.find((e) => e.ev === 'error');
    if (error?.ev === 'error') throw new Error(`reading the mailbox over ${how === 'both' ? 'IMAP and POP3' : how} failed: ${error.message}`);
    const out: { imap?: string[]; pop3?: string[] } = {};
    for (const e of events) if (e.ev === 'mailbox') out[e.via] = e.ids;
    if ((how !== 'pop3' && !out.imap) || (how !== 'imap' && !out.pop3)) throw new Error(`reading the mailbox over ${how}: no answer from the client`);
    return out;
  }

  return {
    lab, dir, dataDir, configFile, nodeNames: names, arbiter: o.arbiter, leaseTtlMs: o.leaseTtlMs,
    caFile: join(dataDir, 'cfg', 'tls', 'cert.pem'),
    startNode,
    async startAll() {
      // The home node first, so that it normally wins the group; the others together.
      await startNode(names[0]!);
      await Promise.all(names.slice(1).map(startNode));
    },
    async killNode(name) {
      const p = procs.get(name);
      const services = await servicePids(name);
      if (p) { signal(p.pid, 'SIGKILL'); signal(p.pid, 'SIGCONT'); }
      for (const pid of services) { signal(pid, 'SIGKILL'); signal(pid, 'SIGCONT'); }
      if (p && p.proc.exitCode === null && p.proc.signalCode === null) await Promise.race([new Promise((r) => p.proc.once('exit', r)), sleep(10_000, undefined, { ref: false })]);
      procs.delete(name);
    },
    async pauseNode(name) {
      const p = procs.get(name);
      if (!p) throw new Error(`node ${name} is not running`);
      for (const pid of [p.pid, ...(await servicePids(name))]) signal(pid, 'SIGSTOP');
      p.paused = true;
    },
    async resumeNode(name) {
      const p = procs.get(name);
      if (!p) throw new Error(`node ${name} is not running`);
      for (const pid of [p.pid, ...(await lab.pids(name))]) signal(pid, 'SIGCONT');
      p.paused = false;
    },
    async cutLink(name, how = 'carrier') {
      if (how === 'carrier') await lab.setLink(name, false);
      else await lab.setPortForwarding(name, false);
      cuts.set(name, how);
    },
    async healLink(name) {
      const how = cuts.get(name);
      if (how === 'port') await lab.setPortForwarding(name, true);
      else await lab.setLink(name, true);
      cuts.delete(name);
    },
    move(to, via) {
      return lab.exec(via ?? to, process.execPath, [TANDEM_BIN, 'group', 'move', 'mail', '--to', to, '--config', configFile, '--node', via ?? to], { timeoutMs: 60_000, env: { TANDEM_LOG_LEVEL: 'silent' } });
    },
    vipHolders,
    volumeUsers,
    async fence() {
      const f = await readFence(dataDir);
      return f.kind === 'ok' ? { node: f.fence.node, token: f.fence.token } : null;
    },
    async clientArpOwner() {
      const r = await lab.exec('client', 'ip', ['-j', 'neigh', 'show', VIP]);
      const mac = (JSON.parse(r.stdout || '[]') as Array<{ lladdr?: string }>)[0]?.lladdr;
      return mac ? macs.get(mac) ?? `unknown MAC ${mac}` : null;
    },
    waitServing,
    startSampler,
    clientExec,
    tandem(ns, args, opts = {}) {
      return lab.exec(ns, process.execPath, [TANDEM_BIN, ...args], { timeoutMs: opts.timeoutMs ?? 60_000, input: opts.input, env: { TANDEM_LOG_LEVEL: 'silent', TANDEM_CLUSTER_CONFIG: configFile } });
    },
    startSender,
    async readMailbox(how) { return (await readMailboxes(how))[how]!; },
    async readBoth() {
      const r = await readMailboxes('both');
      return { imap: r.imap!, pop3: r.pop3! };
    },
    nodeLog(name) {
      const file = join(logs, `${name}.log`);
      return stderrs.get(name) ?? (existsSync(file) ? readFileSync(file, 'utf8') : '');
    },
    destroy,
  };
}
