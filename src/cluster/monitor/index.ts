// The monitor module's entry point: the runner, probes, the pure rise/fall counter, and
// specs built straight from the cluster config (resource monitors and node monitors).
import type { AgentOutcome } from '../agents/agent.ts';
import type { MonitorConfig, NodeMonitorConfig } from '../model/config-schema.ts';
import { probeFor } from './probes.ts';
import type { MonitorSpec } from './runner.ts';

export { MonitorRunner, type MonitorSpec, type MonitorTransition, type MonitorSnapshot, type MonitorRunnerOptions } from './runner.ts';
export { probeFor, tcpProbe, commandProbe, pingProbe, linkProbe, agentProbe, type Probe, type ProbeResult } from './probes.ts';
export { countProbe, initialCounter, type Health, type Counter, type Thresholds } from './rise-fall.ts';

/**
 * The spec of one resource monitor. `agentMonitor` calls the resource agent's monitor with
 * a context built on the given signal (only used by `kind: agent`). A resource that was
 * just started is assumed healthy, so the first failure streak reports healthy -> failed.
 */
export function resourceMonitorSpec(id: string, m: MonitorConfig, agentMonitor: (signal: AbortSignal) => Promise<AgentOutcome>): MonitorSpec {
  return { id, intervalMs: m.interval, timeoutMs: m.timeout, rise: m.rise, fall: m.fall, probe: probeFor(m, { agentMonitor }), initial: 'healthy', firstDelayMs: m.interval };
}

/** The spec of one node monitor (ping, link); healthy until it falls. */
export function nodeMonitorSpec(id: string, m: NodeMonitorConfig): MonitorSpec {
  return { id, intervalMs: m.interval, timeoutMs: m.timeout, rise: m.rise, fall: m.fall, probe: probeFor(m), initial: 'healthy' };
}
