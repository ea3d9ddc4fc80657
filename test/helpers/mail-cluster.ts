// Test harness for the real mail group (issue 5): a 2-4 node cluster of real `tandem node
// start` processes on loopback (ClusterHarness), with the built-in agents: a loopback VIP,
// the data volume on a temp dir (initialised with a domain and two users, every listener
// on the VIP, outbound mail from the VIP), and the mail services run by `tandem mail
// serve`, either as `service` resources or through examples/mail-cluster/start.sh and
// stop.sh. Methods: status, holder, move, kill, stop, cleanup. Every wait is bounded.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { appendFileSync, chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClusterHarness, eventually, freePort, TANDEM_BIN, type StatusShape } from './cluster.ts';
import { initVolume, VolumeLayout } from '../../src/mail/core/volume.ts';
import { Directory } from '../../src/mail/directory/directory.ts';
import { validateSettings } from '../../src/mail/core/settings.ts';
import { mailGroupConfig, mailServicesFor, type MailServiceSpec } from '../../src/demo/mail-group.ts';
import type { ClusterEvent } from '../../src/cluster/model/event.ts';

/** The daemons' pids, for the watchdog (one per line). */
const WATCHED_PIDS = 'daemon-pids';

export const EXAMPLE_DIR = fileURLToPath(new URL('../../examples/mail-cluster/', import.meta.url));

export const LAB_DOMAIN = 'lab.test';
export const LAB_USERS = [
  { address: 'alice@lab.test', password: 'alice-secret-1', displayName: 'Alice' },
  { address: 'bob@lab.test', password: 'bob-secret-22', displayName: 'Bob' },
] as const;

export type MailPortName = 'smtp' | 'pop3' | 'imap' | 'http' | 'ldap' | 'password';

export interface MailClusterOptions {
  /** 2 to 4 nodes, sv1 > sv2 > ... by priority (default 2). */
  nodes?: number;
  /** `services`: one service resource per mail service; `script`: the example's start.sh/stop.sh. */
  style?: 'services' | 'script';
  /** Heartbeat interval (default 300 ms; the timeout is 6 intervals). */
  heartbeatMs?: number;
  /** Lease TTL (default 5 s). */
  leaseTtlMs?: number;
  /** Monitor interval of the services (default 2 s). */
  monitorIntervalMs?: number;
  /** Start the nodes and wait for the group on sv1 (default true). */
  start?: boolean;
  /** Relay mail for other domains through this host (cleartext, no login), e.g. a test sink. */
  smarthost?: { host: string; port: number };
}

export class MailCluster {
  readonly h: ClusterHarness;
  readonly vip: string;
  readonly volume: string;
  readonly ports: Record<MailPortName, number>;
  readonly services: MailServiceSpec[];
  readonly style: 'services' | 'script';
  private readonly restoreEnv: Array<() => void> = [];
  private watchdog: ChildProcess | null = null;

  private constructor(h: ClusterHarness, vip: string, ports: Record<MailPortName, number>, services: MailServiceSpec[], style: 'services' | 'script') {
    this.h = h;
    this.vip = vip;
    this.ports = ports;
    this.services = services;
    this.style = style;
    this.volume = join(h.dir, 'volume');
  }

  /** Builds the cluster (volume, config) and, unless `start: false`, starts every node and waits for the group on sv1. */
  static async create(opts: MailClusterOptions = {}): Promise<MailCluster> {
    const style = opts.style ?? 'services';
    let lab: MailCluster | null = null;
    const h = new ClusterHarness({
      nodes: opts.nodes ?? 2,
      realAgents: true,
      // A lease long enough that a daemon starved of CPU on a loaded test machine does not
      // self-fence (a spurious failover would look like a bug in the test).
      heartbeatMs: opts.heartbeatMs ?? 300,
      leaseTtlMs: opts.leaseTtlMs ?? 5_000,
      groups: (c) => [mailGroupConfig({
        nodes: c.names(),
        vip: { address: lab!.vip, driver: 'loopback' },
        volume: { path: lab!.volume },
        tandem: [process.execPath, TANDEM_BIN],
        services: lab!.services,
        style: style === 'services' ? 'services' : { start: join(EXAMPLE_DIR, 'start.sh'), stop: join(EXAMPLE_DIR, 'stop.sh') },
        monitor: { intervalMs: opts.monitorIntervalMs ?? 2_000, timeoutMs: 2_000 },
        startTimeoutMs: 90_000,
      })],
    });
    const vip = `${h.block}.100`;
    const ports = {} as Record<MailPortName, number>;
    for (const name of ['smtp', 'pop3', 'imap', 'http', 'ldap', 'password'] as const) ports[name] = await freePort(vip);
    const settings = {
      listen: {
        address: vip,
        smtp: { port: ports.smtp }, submission: { port: null }, submissions: { port: null },
        pop3: { port: ports.pop3 }, pop3s: { port: null }, imap: { port: ports.imap }, imaps: { port: null },
        http: { port: ports.http }, https: { port: null }, ldap: { port: ports.ldap }, ldaps: { port: null }, password: { port: ports.password },
      },
      // Tests log in without TLS over loopback, as the demo does.
      auth: { allowPlaintextOnLoopback: true },
      // Outbound SMTP leaves from the VIP, whichever node runs the group.
      queue: { sourceAddress: vip },
      // Local test clients may relay (to the smarthost) without logging in.
      ...(opts.smarthost ? { relay: { networks: ['127.0.0.0/8'], smarthost: { ...opts.smarthost, requireTls: false } } } : {}),
    };
    const services = mailServicesFor(validateSettings({ version: 1, hostname: 'mail.lab.test', primaryDomain: LAB_DOMAIN, ...settings }, 'lab'));
    lab = new MailCluster(h, vip, ports, services, style);
    lab.startWatchdog();
    await lab.initVolume(settings);
    if (style === 'script') lab.putTandemOnPath();
    await h.init();
    if (opts.start ?? true) {
      try {
        for (const n of h.names()) await lab.start(n);
        await lab.waitRunning('sv1');
      } catch (err) {
        await lab.cleanup();
        throw err;
      }
    }
    return lab;
  }

  private async initVolume(settings: Record<string, unknown>): Promise<void> {
    const layout = await initVolume(this.volume, { hostname: 'mail.lab.test', domain: LAB_DOMAIN, settings });
    const dir = Directory.open(layout.accountsDb);
    try {
      dir.addDomain(LAB_DOMAIN);
      for (const u of LAB_USERS) await dir.addUser(u);
    } finally {
      dir.close();
    }
  }

  /**
   * The example scripts call `tandem` as an installed system would; the daemons (which run
   * the scripts and the `svc load` commands) find it through a wrapper on their PATH.
   */
  private putTandemOnPath(): void {
    const bin = join(this.h.dir, 'bin');
    mkdirSync(bin, { recursive: true });
    const wrapper = join(bin, 'tandem');
    writeFileSync(wrapper, `#!/bin/sh\nexec '${process.execPath}' '${TANDEM_BIN}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    const before = process.env.PATH;
    process.env.PATH = `${bin}:${before ?? '/usr/bin:/bin'}`;
    this.restoreEnv.push(() => { process.env.PATH = before; });
  }

  get layout(): VolumeLayout {
    return new VolumeLayout(this.volume);
  }

  /** The names of the group's resources. */
  resourceNames(): string[] {
    return this.style === 'services' ? ['volume', 'vip', ...this.services.map((s) => s.name)] : ['volume', 'vip', 'mail-services'];
  }

  status(node = this.anyRunning()): Promise<StatusShape> {
    return this.h.status(node);
  }

  /** The lease holder of the mail group as `node` sees it. */
  async holder(node = this.anyRunning()): Promise<string | null> {
    return (await this.status(node)).groups.find((g) => g.name === 'mail')?.holder ?? null;
  }

  /** Waits until every resource of the group runs on `node` (and the services answer, in script style). */
  async waitRunning(node: string, timeoutMs = 240_000): Promise<void> {
    const names = this.resourceNames();
    await eventually(`the mail group running on ${node}`, async () => {
      const g = (await this.h.status(node)).groups.find((x) => x.name === 'mail');
      const r = g?.resources[node] ?? {};
      if (g?.holder !== node || !names.every((n) => r[n] === 'running')) return false;
      if (this.style === 'script') {
        // svc load does not wait for readiness: the group is up once every service answers.
        const { createConnection } = await import('node:net');
        const answers = (port: number) => new Promise<boolean>((resolve) => {
          const s = createConnection({ host: this.vip, port }, () => { s.destroy(); resolve(true); });
          s.once('error', () => resolve(false));
        });
        for (const s of this.services) if (s.check && !(await answers(s.check.port))) return false;
      }
      return true;
    }, timeoutMs, 250).catch((err: Error) => {
      throw new Error(`${err.message}\n${node} events:\n${this.describeEvents(node)}`);
    });
  }

  /** `tandem group move mail --to NODE` through the real CLI, as an operator runs it. */
  move(to: string): { code: number; stdout: string; stderr: string } {
    return this.h.cli(['group', 'move', 'mail', '--to', to]);
  }

  /** Starts (or restarts, after kill/stop) a node's daemon; resolves once it is ready. */
  async start(node: string): Promise<void> {
    const n = await this.h.start(node);
    appendFileSync(join(this.h.dir, WATCHED_PIDS), `${n.pid}\n`);
  }

  /**
   * A shell that outlives this process only to clean up after it: when the pipe from us
   * closes without cleanup() (the test runner killed us at its timeout), it SIGKILLs the
   * daemons we started (their guards then stop the services), then the services named by
   * pid files, each only if its command line still names this lab's directory (a pid may
   * have been reused), and removes the directory.
   */
  private startWatchdog(): void {
    const script = [
      'read _gone',
      'mine() { tr "\\0" " " < "/proc/$1/cmdline" 2>/dev/null | grep -qF "$DIR"; }',
      'for p in $(cat "$DIR/' + WATCHED_PIDS + '" 2>/dev/null); do mine "$p" && kill -9 "$p"; done',
      'sleep 3',
      'for f in "$DIR"/state/*/resources/*/*/*.pid; do p=$(cat "$f" 2>/dev/null) && mine "$p" && { kill -9 "-$p" "$p"; } 2>/dev/null; done',
      'rm -rf "$DIR"',
    ].join('\n');
    const g = spawn('/bin/sh', ['-c', script], { stdio: ['pipe', 'ignore', 'ignore'], detached: true, env: { ...process.env, DIR: this.h.dir } });
    (g.stdin as unknown as { unref(): void }).unref();
    g.unref();
    this.watchdog = g;
  }

  /** SIGKILLs a node's daemon (its guard then kills the services it ran). */
  kill(node: string): Promise<void> {
    return this.h.kill(node);
  }

  /** Graceful stop (SIGTERM) of a node's daemon. */
  stop(node: string): Promise<void> {
    return this.h.stop(node);
  }

  events(node: string): ClusterEvent[] {
    return this.h.events(node);
  }

  /** The last `limit` events of a node, one line each (for assertion messages). */
  describeEvents(node: string, limit = 60): string {
    return this.h.events(node).slice(-limit).map((e) => `  ${e.kind}${e.resource ? ` ${e.resource}` : ''}: ${e.message}`).join('\n');
  }

  /** The pid file of a service resource on a node (declarative style). */
  servicePidFile(node: string, service: string): string {
    return join(this.h.dir, 'state', node, 'resources', 'mail', service, `mail.${service}.pid`);
  }

  async cleanup(): Promise<void> {
    try {
      await this.h.cleanup();
    } finally {
      for (const r of this.restoreEnv.splice(0)) r();
      // Our own cleanup is done: the watchdog is not needed (killed by its pid).
      if (this.watchdog?.pid && this.watchdog.exitCode === null) { try { process.kill(this.watchdog.pid, 'SIGKILL'); } catch { /* gone */ } }
    }
  }

  private anyRunning(): string {
    const n = [...this.h.running.keys()][0];
    if (!n) throw new Error('no node of the mail cluster is running');
    return n;
  }
}

/**
 * The TCP sockets in LISTEN state held by these processes, from /proc (no root needed for
 * our own processes): each socket inode among the fds, looked up in /proc/net/tcp and tcp6.
 */
export async function listeningSockets(pids: readonly number[]): Promise<Array<{ pid: number; address: string; port: number }>> {
  const { readdir, readlink, readFile } = await import('node:fs/promises');
  const table = new Map<string, { address: string; port: number }>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue;
      const [hex, portHex] = f[1]!.split(':') as [string, string];
      table.set(f[9]!, { address: decodeProcAddress(hex), port: parseInt(portHex, 16) });
    }
  }
  const out: Array<{ pid: number; address: string; port: number }> = [];
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      const sock = inode ? table.get(inode) : undefined;
      if (sock) out.push({ pid, ...sock });
    }
  }
  return out;
}

/** /proc/net/tcp writes IPv4 addresses as little-endian hex; IPv6 as four such words. */
function decodeProcAddress(hex: string): string {
  if (hex.length === 8) return [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
  const words = (hex.match(/.{8}/g) ?? []).map((w) => (w.match(/../g) ?? []).reverse().join(''));
  const v6 = words.join('').match(/.{4}/g)?.map((g) => g.replace(/^0+(?=.)/, '')).join(':') ?? hex;
  return v6;
}

/** The first reply line of the SMTP service on the group's VIP, or null when nothing answers. */
export function smtpGreeting(lab: MailCluster): Promise<string | null> {
  return new Promise((resolve) => {
    const s = connect({ host: lab.vip, port: lab.ports.smtp });
    let buf = '';
    const done = (v: string | null) => { s.destroy(); resolve(v); };
    s.setTimeout(5_000, () => done(null));
    s.on('data', (c: Buffer) => { buf += c.toString(); const i = buf.indexOf('\r\n'); if (i >= 0) done(buf.slice(0, i)); });
    s.once('error', () => done(null));
  });
}

/** The mail group as `node` reports it (throws when the status lacks it). */
export async function mailGroupStatus(lab: MailCluster, node: string): Promise<StatusShape['groups'][number]> {
  const g = (await lab.status(node)).groups.find((x) => x.name === 'mail');
  if (!g) throw new Error(`the mail group is not in ${node}'s status`);
  return g;
}
