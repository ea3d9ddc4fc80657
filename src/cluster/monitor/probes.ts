// One check of a monitor, as a function of an AbortSignal: tcp (connect), command (exit
// 0), ping (any target answers), link (carrier and operstate) and agent (the resource
// agent's monitor). A probe never throws for a failed check; it says why in one line.
import { connect } from 'node:net';
import { readFile } from 'node:fs/promises';
import { OCF, type AgentOutcome } from '../agents/agent.ts';
import { runCommand, describeRun } from '../agents/run-command.ts';
import type { MonitorConfig, NodeMonitorConfig } from '../model/config-schema.ts';

export interface ProbeResult {
  readonly ok: boolean;
  /** One line, e.g. "connected to 127.0.0.1:25" or "connect ECONNREFUSED 127.0.0.1:25". */
  readonly reason: string;
}

/** Runs one check; must stop work and resolve soon after `signal` fires. */
export type Probe = (signal: AbortSignal) => Promise<ProbeResult>;

/** Succeeds when a TCP connection to host:port is accepted (then closed at once). */
export function tcpProbe(host: string, port: number): Probe {
  return (signal) => new Promise((resolve) => {
    const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    if (signal.aborted) return resolve({ ok: false, reason: `no connection to ${where} within the timeout` });
    const socket = connect({ host, port });
    const done = (r: ProbeResult) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(r);
    };
    const onAbort = () => done({ ok: false, reason: `no connection to ${where} within the timeout` });
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done({ ok: true, reason: `connected to ${where}` }));
    socket.once('error', (e: NodeJS.ErrnoException) => done({ ok: false, reason: `connect ${e.code ?? e.message} ${where}` }));
  });
}

/** Succeeds when the program exits 0; its output is not logged, only its last line kept for the reason. */
export function commandProbe(command: readonly string[]): Probe {
  const [program, ...args] = command;
  if (!program) throw new RangeError('commandProbe needs a program');
  return async (signal) => {
    const r = await runCommand({ command: program, args, signal, graceMs: 1_000 });
    if (r.code === 0 && !r.aborted) return { ok: true, reason: `${program} exited 0` };
    return { ok: false, reason: r.aborted ? `${program} did not finish within the timeout` : describeRun(program, r) };
  };
}

/** Succeeds when ANY target answers one echo request (the seed's ARMRSP /PL). */
export function pingProbe(targets: readonly string[], timeoutMs: number): Probe {
  // Each ping gives up a little before the monitor's timeout (iputils takes fractional -W),
  // so a dead target is reported as such rather than as the whole probe timing out.
  const waitSeconds = (Math.max(200, timeoutMs - 100) / 1000).toFixed(1);
  return (signal) => new Promise<ProbeResult>((resolve) => {
    // The first target that answers settles it: a dead target among live ones must not
    // hold the probe until the timeout (that made a healthy node look cut off).
    const settled = new AbortController();
    const both = AbortSignal.any([signal, settled.signal]);
    const why = new Map<string, string>();
    let finished = false;
    const finish = (r: ProbeResult): void => {
      if (finished) return;
      finished = true;
      settled.abort();
      resolve(r);
    };
    for (const t of targets) {
      void runCommand({ command: 'ping', args: ['-n', '-q', '-c', '1', '-W', waitSeconds, t], signal: both, graceMs: 500 }).then((r) => {
        if (r.code === 0 && !r.aborted) return finish({ ok: true, reason: `${t} answers` });
        why.set(t, r.spawnError ?? (r.aborted ? 'timeout' : `exit ${r.code}`));
        if (why.size === targets.length) finish({ ok: false, reason: `none of ${targets.map((x) => `${x} (${why.get(x)})`).join(', ')} answers` });
      }, (err: unknown) => {
        why.set(t, (err as Error).message);
        if (why.size === targets.length) finish({ ok: false, reason: `none of ${targets.map((x) => `${x} (${why.get(x)})`).join(', ')} answers` });
      });
    }
    if (targets.length === 0) finish({ ok: false, reason: 'no ping targets' });
  });
}

/** Succeeds when the interface exists, has carrier, and its operstate is up (or unknown, as for lo). */
export function linkProbe(iface: string, sysfs = '/sys/class/net'): Probe {
  return async () => {
    if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(iface)) return { ok: false, reason: `"${iface}" is not an interface name` };
    let operstate: string;
    try {
      operstate = (await readFile(`${sysfs}/${iface}/operstate`, 'utf8')).trim();
    } catch {
      return { ok: false, reason: `no interface ${iface}` };
    }
    let carrier: string;
    try {
      carrier = (await readFile(`${sysfs}/${iface}/carrier`, 'utf8')).trim();
    } catch {
      // The kernel answers EINVAL for the carrier of an interface that is administratively down.
      return { ok: false, reason: `${iface} is down (operstate ${operstate})` };
    }
    if (carrier !== '1') return { ok: false, reason: `${iface} has no carrier (operstate ${operstate})` };
    if (operstate !== 'up' && operstate !== 'unknown') return { ok: false, reason: `${iface} operstate is ${operstate}` };
    return { ok: true, reason: `${iface} link up` };
  };
}

/** Succeeds when the agent's monitor says SUCCESS (running); NOT_RUNNING is a failure for a monitor. */
export function agentProbe(monitor: (signal: AbortSignal) => Promise<AgentOutcome>): Probe {
  return async (signal) => {
    const out = await monitor(signal);
    if (out.rc === OCF.SUCCESS) return { ok: true, reason: out.reason };
    return { ok: false, reason: out.rc === OCF.NOT_RUNNING ? `not running: ${out.reason}` : `rc ${out.rc}: ${out.reason}` };
  };
}

/** What `probeFor` needs besides the config: how to call the resource agent's monitor. */
export interface ProbeDeps {
  /** Required for `kind: agent`: calls the agent's monitor with a context built on this signal. */
  readonly agentMonitor?: (signal: AbortSignal) => Promise<AgentOutcome>;
}

/** The probe a resource or node monitor of the config runs. */
export function probeFor(config: MonitorConfig | NodeMonitorConfig, deps: ProbeDeps = {}): Probe {
  switch (config.kind) {
    case 'tcp': return tcpProbe(config.host, config.port);
    case 'command': return commandProbe(config.command);
    case 'ping': return pingProbe(config.targets, config.timeout);
    case 'link': return linkProbe(config.interface);
    case 'agent': {
      if (!deps.agentMonitor) throw new RangeError(`monitor ${config.name} is of kind agent: probeFor needs deps.agentMonitor`);
      return agentProbe(deps.agentMonitor);
    }
  }
}
