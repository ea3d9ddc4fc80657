// Test helper: a real single-member etcd (/usr/bin/etcd, Debian's 3.4) on loopback, with
// ports the OS picked and a temp data dir. The process is always killed (by its PID) and the
// dir removed by stop(); pause()/resume() SIGSTOP/SIGCONT it to simulate a hung server.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
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

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1_000) });
    return res.ok && ((await res.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}

export interface EtcdStartOptions {
  readonly timeoutMs?: number;
  /**
   * etcd's election timeout (default 1000 ms). It also sets the shortest lease etcd grants:
   * ceil(1.5 * election timeout) seconds, so 500 ms allows the 1 s leases fast tests need.
   */
  readonly electionTimeoutMs?: number;
}

async function startOnce(dataDir: string, opts: EtcdStartOptions): Promise<EtcdServer | null> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const election = opts.electionTimeoutMs ?? 1_000;
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const proc: ChildProcess = spawn(ETCD_BIN, [
    '--name', 'test', '--data-dir', dataDir,
    '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `test=${peer}`, '--initial-cluster-state', 'new',
    '--election-timeout', String(election), '--heartbeat-interval', String(Math.max(10, Math.floor(election / 10))),
    '--logger', 'zap', '--log-level', 'error',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-4_000); });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const kill = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    process.kill(proc.pid!, 'SIGCONT');
    process.kill(proc.pid!, 'SIGKILL');
    await exited;
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      // Most likely a port taken between freePort() and etcd's bind: the caller retries.
      if (!/address already in use/.test(stderr)) throw new Error(`etcd exited (${proc.exitCode ?? proc.signalCode}): ${stderr}`);
      return null;
    }
    if (await healthy(endpoint)) {
      return {
        endpoint,
        pid: proc.pid!,
        pause: () => { process.kill(proc.pid!, 'SIGSTOP'); },
        resume: () => { process.kill(proc.pid!, 'SIGCONT'); },
        stop: kill,
      };
    }
    await sleep(50);
  }
  await kill();
  throw new Error(`etcd not healthy within ${timeoutMs} ms: ${stderr}`);
}

/** Starts etcd and waits until it reports healthy; the data dir is removed by stop(). */
export async function startEtcd(opts: EtcdStartOptions = {}): Promise<EtcdServer> {
  const root = await mkdtemp(join(tmpdir(), 'tandem-etcd-'));
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      const server = await startOnce(join(root, `data${attempt}`), opts);
      if (server) {
        return { ...server, stop: async () => { await server.stop(); await rm(root, { recursive: true, force: true }); } };
      }
    }
    throw new Error('etcd could not bind free ports in 5 attempts');
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}
