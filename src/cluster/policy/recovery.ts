// Escalation of resource failures (DESIGN 2.6, seed ARMLOAD /R /H): restart up to R times
// within window H, then the node is out for the group (failover), then the final action.
import { DEFAULT_RECOVERY, type GroupConfig, type RecoveryConfig, type ResourceConfig } from '../model/config-schema.ts';
import type { ClusterView, Failure, GroupStatus } from '../model/status.ts';

/** Where one resource on one node stands against its recovery policy. */
export interface FailureAssessment {
  readonly resource: string;
  /** Failures counted inside the window (suspended monitors' failures excluded). */
  readonly count: number;
  readonly recovery: RecoveryConfig;
  /** count > restarts: no restart left on this node. */
  readonly exhausted: boolean;
}

/** The recovery policy for a failure: its monitor's, else the resource's first monitor's, else the default. */
export function recoveryFor(resource: ResourceConfig, monitor: string | null): RecoveryConfig {
  const m = resource.monitors.find((x) => x.name === monitor) ?? resource.monitors[0];
  return m?.recovery ?? DEFAULT_RECOVERY;
}

/** Failures of `resource` on `node` that count now: inside their window, not from a suspended monitor. */
export function countedFailures(view: ClusterView, status: GroupStatus, resource: ResourceConfig, node: string): Failure[] {
  const suspended = status.suspendedMonitors.includes(resource.name);
  return status.failures.filter((f) => f.node === node && f.resource === resource.name
    // A suspended monitor is ignored (S16: cluster-aware restarts must not fail over).
    && !(suspended && f.monitor !== null)
    && view.nowMs - f.atMs < recoveryFor(resource, f.monitor).window
    && f.atMs <= view.nowMs);
}

/** Assesses one resource on one node. */
export function assessResource(view: ClusterView, status: GroupStatus, resource: ResourceConfig, node: string): FailureAssessment {
  const failures = countedFailures(view, status, resource, node);
  const latest = failures[failures.length - 1];
  const recovery = recoveryFor(resource, latest?.monitor ?? null);
  return { resource: resource.name, count: failures.length, recovery, exhausted: failures.length > recovery.restarts };
}

/** The first resource of the group whose restarts on `node` are used up, or null. */
export function exhaustedOn(view: ClusterView, group: GroupConfig, status: GroupStatus, node: string): FailureAssessment | null {
  for (const r of group.resources) {
    const a = assessResource(view, status, r, node);
    if (a.exhausted) return a;
  }
  return null;
}

/** "monitor of smtp failed 4 times on sv1 within 60 s" */
export function describeExhaustion(a: FailureAssessment, node: string): string {
  return `${a.resource} failed ${a.count} times on ${node} within ${formatMs(a.recovery.window)} (restarts allowed: ${a.recovery.restarts})`;
}

/** Milliseconds as a short human duration: 1500 -> "1.5 s", 60000 -> "60 s". */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}
