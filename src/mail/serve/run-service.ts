// Runs one mail service in this process: open the volume, start listening, announce
// readiness, stop gracefully on SIGTERM/SIGINT. Readiness is announced only once every
// listener is bound (S15: "ready" means serving, not merely spawned).
import { openMailContext } from '../core/context.ts';
import { SERVICES, serviceNames } from './registry.ts';
import { TandemError } from '../../lib/errors.ts';
import { installFenceGuard } from '../core/fence-guard.ts';

/** The line a service prints on stdout when it is ready; supervisors and tests wait for it. */
export interface ReadyLine { event: 'ready'; service: string; pid: number; listening: string[] }

export const READY_PREFIX = 'TANDEM-READY ';

/**
 * After the drain, what a service may still need to close (the queue runner's delivery in
 * progress, flushing indexes) before it is ended anyway. The service resource's stop
 * grace, timeouts.stop / 2, should exceed drainTimeoutSeconds plus this.
 */
const HARD_STOP_EXTRA_MS = 5_000;

/** Set by a supervisor that gives the service a stdin pipe: its end means the supervisor is gone. */
export const EXIT_WITH_PARENT_ENV = 'TANDEM_EXIT_WITH_PARENT';

export function formatReadyLine(r: ReadyLine): string {
  return `${READY_PREFIX}${JSON.stringify(r)}\n`;
}

/** Parses a ready line from a child's stdout, or null for any other line. */
export function parseReadyLine(line: string): ReadyLine | null {
  if (!line.startsWith(READY_PREFIX)) return null;
  try {
    const r = JSON.parse(line.slice(READY_PREFIX.length)) as ReadyLine;
    return r.event === 'ready' ? r : null;
  } catch {
    return null;
  }
}

export async function runService(name: string, dataDir: string): Promise<void> {
  const load = SERVICES[name];
  if (!load) {
    throw new TandemError('MAIL_ERR_UNKNOWN_SERVICE', 'invalid', `unknown service "${name}"; this build has: ${serviceNames().join(', ') || '(none)'}`);
  }
  const ctx = await openMailContext(dataDir, name).catch((err: unknown) => { throw explainStartError(name, err); });
  // Before anything can write: a service of a replaced owner must never commit (issue 5).
  await installFenceGuard({ root: ctx.layout.root, log: ctx.log });
  const start = await load();
  const service = await start(ctx).catch((err: unknown) => { throw explainStartError(name, err); });
  process.stdout.write(formatReadyLine({ event: 'ready', service: name, pid: process.pid, listening: service.listening }));
  ctx.log.info({ event: 'service.ready', listening: service.listening }, `${name} ready ${service.listening.length ? `on ${service.listening.join(', ')}` : '(no listeners)'}`);

  // A service may have nothing of its own to keep the event loop busy (replication on a
  // standalone system, an idle follower between retries): signal handlers do not count,
  // so without this the process would end (exit code 13) and its supervisor restart it.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      clearInterval(keepAlive);
      stopping = true;
      const drainMs = ctx.settings.limits.drainTimeoutSeconds * 1000;
      ctx.log.info({ event: 'service.stopping', signal, drainMs }, `${name} stopping (${signal}): draining for up to ${drainMs} ms`);
      // A bounded graceful stop, the drain (docs/switchover.md): work in flight finishes,
      // clients are told to retry, then we go. The service's own close() keeps to the
      // drain time; this is the backstop for a close that hangs anyway. Either way the
      // exit code is 0: a stop asked for and done.
      const hard = setTimeout(() => {
        ctx.log.warn({ event: 'service.stop.forced' }, `${name} did not close within ${drainMs + HARD_STOP_EXTRA_MS} ms; exiting`);
        process.exit(0);
      }, drainMs + HARD_STOP_EXTRA_MS);
      hard.unref();
      service.close().catch((err: unknown) => ctx.log.error({ err }, 'error while stopping')).finally(() => {
        ctx.directory.close();
        ctx.log.info({ event: 'service.stopped' }, `${name} stopped`);
        // Nothing of ours is left to finish; a stray handle (a library timer) must not
        // keep a stopped service alive past the resource's stop timeout.
        setTimeout(() => process.exit(0), 1_000).unref();
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    if (process.env[EXIT_WITH_PARENT_ENV] === '1') {
      process.stdin.once('close', () => stop('supervisor gone (stdin closed)'));
      process.stdin.resume();
    }
  });
}

/**
 * What an operator can act on, for the failures a service meets while starting: an address
 * that is not on this host (a VIP not up yet: S14 binds services to the VIP only), a port
 * in use or reserved, a missing certificate or key file. Anything else stays as it was.
 */
export function explainStartError(service: string, err: unknown): unknown {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (!e || typeof e !== 'object' || typeof e.code !== 'string') return err;
  const where = e.address !== undefined ? `${e.address}${e.port !== undefined ? `:${e.port}` : ''}` : '';
  if (e.syscall === 'listen' || e.syscall === 'bind') {
    if (e.code === 'EADDRNOTAVAIL') return new TandemError('MAIL_ERR_LISTEN', 'not-possible', `${service}: cannot listen on ${where}: the address is not on this host (in a cluster, the VIP must be up before the service starts)`);
    if (e.code === 'EADDRINUSE') return new TandemError('MAIL_ERR_LISTEN', 'not-possible', `${service}: cannot listen on ${where}: the port is already in use (another service or another copy of this one)`);
    if (e.code === 'EACCES') return new TandemError('MAIL_ERR_LISTEN', 'not-possible', `${service}: cannot listen on ${where}: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)`);
  }
  if ((e.code === 'ENOENT' || e.code === 'EACCES') && typeof e.path === 'string') {
    return new TandemError('MAIL_ERR_FILE', 'not-possible', `${service}: cannot read ${e.path}: ${e.code === 'ENOENT' ? 'no such file' : 'permission denied'} (see docs/configure.md for the files a service needs)`);
  }
  return err;
}
