// Where the one-machine demo keeps its state (var/demo/), and whether a demo is running
// now: the CLI's cluster commands fall back to a running demo's configuration. Only
// node:fs and node:path here, so the CLI can ask without loading the demo itself.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface DemoPaths {
  readonly root: string;
  /** The cluster configuration the two node daemons run with. */
  readonly config: string;
  /** The mail data volume (the group's `volume` resource). */
  readonly volume: string;
  /** The disk arbiter's directory (leases and heartbeat slots). */
  readonly arbiter: string;
  /** The daemons' and the mail services' logs. */
  readonly logs: string;
  /** The demo's own pid while it runs. */
  readonly pidFile: string;
  /** A node daemon's state directory (event log, agents' state). */
  nodeState(node: string): string;
}

export function demoPaths(root: string): DemoPaths {
  return {
    root,
    config: join(root, 'cluster.yaml'),
    volume: join(root, 'mail'),
    arbiter: join(root, 'arbiter'),
    logs: join(root, 'logs'),
    pidFile: join(root, 'demo.pid'),
    nodeState: (node) => join(root, 'nodes', node),
  };
}

/** The checkout this code runs from (the demo's default home is its var/demo/). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The pid in a demo pid file if that process is alive, else null. */
export function liveDemoPid(pidFile: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: alive, but someone else's; still a running demo.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return null;
  }
  // A pid file left by a demo that was killed may name a process that reused the pid.
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (!argv.includes('demo')) return null;
  } catch { /* no /proc: trust the pid */ }
  return pid;
}

/**
 * The configuration of a demo running from this directory or from this checkout, if any:
 * var/demo/cluster.yaml while var/demo/demo.pid names a live process.
 */
export function runningDemoConfig(cwd = process.cwd(), checkout = PACKAGE_ROOT): { config: string; pid: number } | null {
  const roots = [...new Set([join(cwd, 'var', 'demo'), join(checkout, 'var', 'demo')])];
  for (const root of roots) {
    const p = demoPaths(root);
    const pid = liveDemoPid(p.pidFile);
    if (pid !== null) return { config: p.config, pid };
  }
  return null;
}
