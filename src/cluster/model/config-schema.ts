// The shape of the cluster YAML (one file, identical on every node) as a zod schema.
// Only per-field rules live here; rules that relate fields (unknown nodes, dependency
// cycles, timeouts vs intervals) are in config-check.ts. Durations come out as milliseconds.
import { z } from 'zod';
import { isIP } from 'node:net';
import { consoleSchema, refineConsole } from './console-schema.ts';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses "500ms", "3s", "1.5m", "1h" (or a bare number of milliseconds) into milliseconds. */
export function parseDuration(text: string | number): number | null {
  if (typeof text === 'number') return Number.isInteger(text) && text >= 0 ? text : null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(text);
  if (!m) return null;
  const ms = Number(m[1]) * (UNITS[m[2] as string] as number);
  return Number.isFinite(ms) ? Math.round(ms) : null;
}

/** A duration field: YAML may say `3s` or `3000`; the parsed config always holds ms. */
const duration = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 500ms, 3s, 2m or 1h (got ${JSON.stringify(value)})` });
    return z.NEVER;
  }
  return ms;
});
const positiveDuration = duration.refine((ms) => ms > 0, 'must be longer than 0');

/** Names end up in CLI arguments, file names and env variables, so they are kept plain. */
const name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/i, 'must be 1-63 letters, digits, - or _, starting with a letter or digit');
const ipAddress = z.string().refine((a) => isIP(a) !== 0, 'must be an IP address');
const nonEmpty = z.string().min(1, 'must not be empty');
const command = z.array(nonEmpty).min(1, 'must name a program (a list: program, then arguments)');

const recovery = z.object({
  /** Restarts allowed within `window` before the group fails over (the seed's /R). */
  restarts: z.number().int().min(0).default(3),
  /** Window H over which failures are counted (the seed's /H). */
  window: positiveDuration.default(60_000),
  /** After the restarts: move the group to the next node by priority (false: go straight to finalAction). */
  failover: z.boolean().default(true),
  /** When no node is left: none (group stays offline), stop-node (stop the cluster service here), reboot. */
  finalAction: z.enum(['none', 'stop-node', 'reboot']).default('none'),
}).strict();
export const DEFAULT_RECOVERY = { restarts: 3, window: 60_000, failover: true, finalAction: 'none' } as const;

const monitorCommon = {
  /** Unique within the resource; names the monitor in logs and `tandem monitor suspend`. */
  name,
  interval: positiveDuration.default(5_000),
  timeout: positiveDuration.default(3_000),
  /** Consecutive successes before a failed resource counts as healthy again (keepalived rise). */
  rise: z.number().int().min(1).default(1),
  /** Consecutive failures before the monitor reports a failure (keepalived fall). */
  fall: z.number().int().min(1).default(2),
  recovery: recovery.default(DEFAULT_RECOVERY),
};

const monitor = z.discriminatedUnion('kind', [
  /** The resource agent's own monitor operation. */
  z.object({ kind: z.literal('agent'), ...monitorCommon }).strict(),
  z.object({ kind: z.literal('tcp'), ...monitorCommon, host: nonEmpty, port: z.number().int().min(1).max(65535) }).strict(),
  z.object({ kind: z.literal('command'), ...monitorCommon, command }).strict(),
  /** The seed's ARMRSP /PL: fail when none of the targets answers. */
  z.object({ kind: z.literal('ping'), ...monitorCommon, targets: z.array(ipAddress).min(1) }).strict(),
]);

/** Node health checks (the seed's ARMRSP): a node whose check fails takes no groups and hands its groups over. */
const nodeMonitorCommon = { name, interval: monitorCommon.interval, timeout: monitorCommon.timeout, rise: monitorCommon.rise, fall: monitorCommon.fall };
const nodeMonitor = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ping'), ...nodeMonitorCommon, targets: z.array(ipAddress).min(1) }).strict(),
  /** The NIC's link state (carrier). */
  z.object({ kind: z.literal('link'), ...nodeMonitorCommon, interface: nonEmpty }).strict(),
]);

const timeouts = z.object({
  start: positiveDuration.default(30_000),
  stop: positiveDuration.default(30_000),
  monitor: positiveDuration.default(10_000),
}).strict();
const DEFAULT_TIMEOUTS = { start: 30_000, stop: 30_000, monitor: 10_000 };

const resourceCommon = {
  name,
  /** Names of resources in the same group that must run before this one starts. */
  dependsOn: z.array(name).default([]),
  timeouts: timeouts.default(DEFAULT_TIMEOUTS),
  monitors: z.array(monitor).default([]),
};

const env = z.record(z.string(), z.string()).default({});

const resource = z.discriminatedUnion('type', [
  z.object({ type: z.literal('vip'), ...resourceCommon, params: z.object({
    address: ipAddress,
    prefix: z.number().int().min(1).max(128).default(24),
    /** iproute2: real `ip addr` + gratuitous ARP; loopback: bind on lo for one-machine demos. */
    driver: z.enum(['iproute2', 'loopback']).default('iproute2'),
    interface: nonEmpty.optional(),
  }).strict() }).strict(),
  z.object({ type: z.literal('volume'), ...resourceCommon, params: z.object({
    /** The data directory (mount point when `device` is set). */
    path: nonEmpty,
    device: nonEmpty.optional(),
    fsType: nonEmpty.optional(),
    fsck: z.boolean().default(true),
  }).strict() }).strict(),
  z.object({ type: z.literal('script'), ...resourceCommon, params: z.object({
    start: nonEmpty,
    stop: nonEmpty,
    env,
  }).strict() }).strict(),
  z.object({ type: z.literal('service'), ...resourceCommon, params: z.object({
    command,
    cwd: nonEmpty.optional(),
    env,
    /** Ready means listening here (S15), not merely spawned. */
    readyPort: z.number().int().min(1).max(65535).optional(),
  }).strict() }).strict(),
  z.object({ type: z.literal('sync'), ...resourceCommon, params: z.object({
    /** Node-local files kept identical on every node (the seed's registry sync). */
    paths: z.array(nonEmpty).min(1),
  }).strict() }).strict(),
  z.object({ type: z.literal('ocf'), ...resourceCommon, params: z.object({
    /** Path of an OCF resource agent script, e.g. /usr/lib/ocf/resource.d/heartbeat/IPaddr2. */
    agent: nonEmpty,
    /** Passed as OCF_RESKEY_<name>. */
    params: z.record(z.string(), z.string()).default({}),
  }).strict() }).strict(),
]);

const group = z.object({
  name,
  /** Ordered by priority: the first is the group's home node (CLP_SERVER=HOME). */
  nodes: z.array(name).min(1, 'must list at least one node'),
  startup: z.enum(['auto', 'manual']).default('auto'),
  failback: z.enum(['manual', 'auto']).default('manual'),
  /** With failback auto: how long a higher-priority node must stay up before the group moves back. */
  failbackDelay: duration.default(30_000),
  resources: z.array(resource).default([]),
}).strict();

/** Every alert sink may send only events at or above a level (see docs/alerts.md for defaults). */
const alertLevel = { level: z.enum(['info', 'warning', 'error']).optional() };
const alert = z.discriminatedUnion('type', [
  /** JSON lines appended to `path`, or the node's logger when there is no path. */
  z.object({ type: z.literal('log'), ...alertLevel, path: nonEmpty.optional() }).strict(),
  /** stderr, and with `wall: true` a wall(1) message to logged-in terminals (ARMBCAST). */
  z.object({ type: z.literal('console'), ...alertLevel, wall: z.boolean().optional() }).strict(),
  /** POST of the event as JSON, signed with HMAC-SHA256 of the cluster secret. */
  z.object({
    type: z.literal('webhook'), ...alertLevel, url: z.string().url(),
    timeout: positiveDuration.optional(), retries: z.number().int().min(0).max(10).optional(),
  }).strict(),
  /** A message to `to` through `smarthost` ("host" or "host:port"; default localhost:25). */
  z.object({
    type: z.literal('mail'), ...alertLevel, to: z.array(nonEmpty).min(1), smarthost: nonEmpty.optional(),
    from: nonEmpty.optional(), timeout: positiveDuration.optional(),
  }).strict(),
]);

/** The default safety margin: a sixth of the TTL (333 ms for the default 2 s), see docs/arbiter.md. */
export function defaultLeaseMargin(leaseTtlMs: number): number {
  return Math.floor(leaseTtlMs / 6);
}

const arbiterTiming = {
  // 2 s (etcd's shortest lease) puts detection plus takeover under 3 s (docs/arbiter.md,
  // bench/failover.ts); slow shared storage needs a longer one.
  leaseTtl: positiveDuration.default(2_000),
  /** The holder stops at leaseTtl - margin, the others wait leaseTtl + margin (default leaseTtl / 6). */
  margin: positiveDuration.optional(),
};
/** Where leases live; `margin` comes out filled in, and 0 < 2 * margin < leaseTtl holds. */
const arbiter = z.discriminatedUnion('type', [
  z.object({ type: z.literal('disk'), path: nonEmpty, ...arbiterTiming }).strict(),
  z.object({ type: z.literal('etcd'), endpoints: z.array(z.string().url()).min(1), ...arbiterTiming }).strict(),
]).transform((a, ctx) => {
  const margin = a.margin ?? defaultLeaseMargin(a.leaseTtl);
  if (!(margin > 0 && 2 * margin < a.leaseTtl)) {
    const why = a.margin === undefined ? `leaseTtl ${a.leaseTtl} ms is too short to derive a margin` : `got margin ${margin} ms, leaseTtl ${a.leaseTtl} ms`;
    ctx.addIssue({ code: 'custom', path: ['margin'], message: `must be more than 0 and less than half of leaseTtl (${why})` });
    return z.NEVER;
  }
  return { ...a, margin };
});

export const clusterConfigSchema = z.object({
  version: z.literal(1),
  cluster: z.object({
    name,
    /** Authenticates heartbeats and RPC (HMAC); never logged. */
    secret: z.string().min(16, 'must be at least 16 characters'),
  }).strict(),
  nodes: z.array(z.object({
    name,
    addresses: z.array(ipAddress).min(1),
    /** The node channel and API port (default 7400, src/cluster/transport): UDP heartbeats and TCP (HTTP) RPC share the number. */
    port: z.number().int().min(1).max(65535).optional(),
  }).strict()).min(1),
  heartbeat: z.object({
    interval: positiveDuration.default(500),
    // Not longer than the lease's ttl + margin: a dead peer must count as gone by the time
    // its lease can be taken, or the heartbeat, not the lease, sets the takeover time.
    timeout: positiveDuration.default(2_000),
  }).strict().default({ interval: 500, timeout: 2_000 }),
  arbiter,
  /** Run on every node; see NodeStatus.failingMonitors. */
  nodeMonitors: z.array(nodeMonitor).default([]),
  groups: z.array(group).default([]),
  alerts: z.array(alert).default([{ type: 'log' }]),
  /** The web console every node serves (docs/cluster-console.md); absent: no console. */
  console: consoleSchema.optional(),
}).strict().superRefine(refineConsole);

export type ClusterConfig = z.output<typeof clusterConfigSchema>;
export type NodeConfig = ClusterConfig['nodes'][number];
export type GroupConfig = ClusterConfig['groups'][number];
export type ResourceConfig = GroupConfig['resources'][number];
export type MonitorConfig = ResourceConfig['monitors'][number];
export type RecoveryConfig = MonitorConfig['recovery'];
export type ResourceType = ResourceConfig['type'];
export type NodeMonitorConfig = ClusterConfig['nodeMonitors'][number];
export type ArbiterConfig = ClusterConfig['arbiter'];
export type AlertConfig = ClusterConfig['alerts'][number];
