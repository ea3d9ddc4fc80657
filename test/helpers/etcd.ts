// Test helper: a real etcd (/usr/bin/etcd, Debian's 3.4) on loopback, one member or several,
// with ports the OS picked and a temp data dir. The processes are always killed (by PID) and
// the dir removed by stop(); pause()/resume() SIGSTOP/SIGCONT a member to simulate a hung
// server, and a member's stop() kills just that one.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const ETCD_BIN = process.env.TANDEM_ETCD_BIN ?? '/usr/bin/etcd';

export function etcdAvailable(): boolean {
  return existsSync(ETCD_BIN);
}

export interface EtcdServer {
  /** Client URL, e.g. http://127.0.0.1:40123. */
  readonly endpoint: string;
  readonly pid: number;
  /** SIGSTOP: the server keeps its sockets open but answers nothing (a hung or cut-off etcd). */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

/** A port the OS handed out just now (closed again: etcd binds it a moment later; start retries). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function healthy(endpoint: string, tls: boolean): Promise<boolean> {
  // With TLS, an accepted TCP connection is enough here: the test's own client checks the certificate.
  if (tls) return portOpen(Number(new URL(endpoint).port));
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1_000) });
    return res.ok && ((await res.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host: '127.0.0.1' });
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

export interface EtcdStartOptions {
  readonly timeoutMs?: number;
  /**
   * etcd's election timeout (default 1000 ms). It also sets the shortest lease etcd grants:
   * ceil(1.5 * election timeout) seconds, so 500 ms allows the 1 s leases fast tests need.
   */
  readonly electionTimeoutMs?: number;
  /** Serve clients over TLS with this certificate and key (PEM files): https:// endpoints. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
}

interface Member {
  readonly server: EtcdServer;
  readonly proc: ChildProcess;
  stderr(): string;
}

/**
 * If the test process dies without stop() (killed by the runner's timeout, say), nothing
 * would stop etcd. A guard shell holds a pipe from us: at EOF (we are gone) it kills etcd by
 * PID and removes the data. stop() kills the guard after etcd.
 */
function guard(pid: number, dir: string): ChildProcess {
  const g = spawn('/bin/sh', ['-c', 'read _gone; kill -9 "$1" 2>/dev/null; rm -rf "$2"', 'etcd-guard', String(pid), dir], { stdio: ['pipe', 'ignore', 'ignore'] });
  (g.stdin as unknown as { unref(): void }).unref();
  g.unref();
  return g;
}

function spawnMember(name: string, dataDir: string, client: string, peer: string, initialCluster: string, election: number, tls: EtcdStartOptions['tls'], root: string): Member {
  const proc: ChildProcess = spawn(ETCD_BIN, [
    ...(tls ? ['--cert-file', tls.certFile, '--key-file', tls.keyFile] : []),
    '--name', name, '--data-dir', dataDir,
    '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
    '--initial-cluster', initialCluster, '--initial-cluster-state', 'new',
    '--election-timeout', String(election), '--heartbeat-interval', String(Math.max(10, Math.floor(election / 10))),
    '--logger', 'zap', '--log-level', 'error',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-4_000); });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const gone = (): boolean => proc.exitCode !== null || proc.signalCode !== null;
  const watcher = guard(proc.pid!, root);
  return {
    proc,
    stderr: () => stderr,
    server: {
      endpoint: client,
      pid: proc.pid!,
      pause: () => { if (!gone()) process.kill(proc.pid!, 'SIGSTOP'); },
      resume: () => { if (!gone()) process.kill(proc.pid!, 'SIGCONT'); },
      async stop() {
        if (!gone()) {
          process.kill(proc.pid!, 'SIGCONT');
          process.kill(proc.pid!, 'SIGKILL');
          await exited;
        }
        if (watcher.exitCode === null && watcher.signalCode === null) watcher.kill('SIGKILL');
      },
    },
  };
}

/** Starts `size` members on fresh ports; null when a port was taken meanwhile (retry). */
async function startOnce(root: string, dataDir: string, size: number, opts: EtcdStartOptions): Promise<EtcdServer[] | null> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const election = opts.electionTimeoutMs ?? 1_000;
  const urls: Array<{ name: string; client: string; peer: string }> = [];
  const scheme = opts.tls ? 'https' : 'http';
  for (let i = 0; i < size; i++) urls.push({ name: `m${i}`, client: `${scheme}://127.0.0.1:${await freePort()}`, peer: `http://127.0.0.1:${await freePort()}` });
  const initialCluster = urls.map((u) => `${u.name}=${u.peer}`).join(',');
  const members = urls.map((u) => spawnMember(u.name, join(dataDir, u.name), u.client, u.peer, initialCluster, election, opts.tls, root));
  const killAll = async (): Promise<void> => { for (const m of members) await m.server.stop(); };
  const deadline = Date.now() + timeoutMs;
  const ready = new Set<number>();
  while (Date.now() < deadline) {
    for (const [i, m] of members.entries()) {
      if (m.proc.exitCode !== null || m.proc.signalCode !== null) {
        await killAll();
        // Most likely a port taken between freePort() and etcd's bind: the caller retries.
        if (/address already in use/.test(m.stderr())) return null;
        throw new Error(`etcd ${urls[i]!.name} exited (${m.proc.exitCode ?? m.proc.signalCode}): ${m.stderr()}`);
      }
      if (!ready.has(i) && (await healthy(m.server.endpoint, opts.tls !== undefined))) ready.add(i);
    }
    if (ready.size === size) return members.map((m) => m.server);
    await sleep(50);
  }
  await killAll();
  throw new Error(`etcd not healthy within ${timeoutMs} ms: ${members.map((m) => m.stderr()).join('\n')}`);
}

export interface EtcdCluster {
  readonly members: readonly EtcdServer[];
  readonly endpoints: readonly string[];
  /** Kills every member (by PID) and removes the data dirs. */
  stop(): Promise<void>;
}

/** Starts a cluster of `size` members and waits until each reports healthy. */
export async function startEtcdCluster(size: number, opts: EtcdStartOptions = {}): Promise<EtcdCluster> {
  const root = await mkdtemp(join(tmpdir(), 'tandem-etcd-'));
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      const members = await startOnce(root, join(root, `data${attempt}`), size, opts);
      if (members) {
        return {
          members,
          endpoints: members.map((m) => m.endpoint),
          async stop() {
            for (const m of members) await m.stop();
            await rm(root, { recursive: true, force: true });
          },
        };
      }
    }
    throw new Error('etcd could not bind free ports in 5 attempts');
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}

/** Starts a one-member etcd and waits until it reports healthy; the data dir is removed by stop(). */
export async function startEtcd(opts: EtcdStartOptions = {}): Promise<EtcdServer> {
  const cluster = await startEtcdCluster(1, opts);
  return { ...cluster.members[0]!, stop: () => cluster.stop() };
}
