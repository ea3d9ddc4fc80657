// The mail failover group as cluster configuration (issue 5): a VIP, the data volume, an
// optional `sync` of node-local files, and the mail services, either each as a `service`
// resource with its own monitor (declarative) or through one `script` resource running
// start.sh/stop.sh (the seed's START.BAT/STOP.BAT). Pure: builds plain objects that
// validateClusterConfig() accepts; the demo, the tests and the docs' example share it.
import { stringify as stringifyYaml } from 'yaml';
import type { Settings } from '../mail/core/settings.ts';

/** The seven services of S1, in the seed's ARMLOAD order; replication joins on master/slave systems. */
export const MAIL_SERVICES = ['smtp', 'password', 'pop3', 'imap', 'http', 'cron', 'ldap'] as const;

/** One mail service of the group and what its monitor connects to (null: no listener, e.g. cron). */
export interface MailServiceSpec {
  readonly name: string;
  readonly check: { readonly host: string; readonly port: number } | null;
}

/**
 * The services a volume's settings call for, each with the listener its monitor checks:
 * the plain (non-TLS) port where there is one, on the address the service binds (the VIP).
 */
export function mailServicesFor(settings: Settings): MailServiceSpec[] {
  const l = settings.listen;
  const at = (...ports: Array<{ port: number | null } | undefined>): MailServiceSpec['check'] => {
    const port = ports.find((p) => p?.port)?.port;
    return port ? { host: l.address, port } : null;
  };
  const passwordHost = settings.password.bindAddress ?? l.address;
  const passwordPort = l.password.port;
  const checks: Record<string, MailServiceSpec['check']> = {
    smtp: at(l.smtp, l.submission, l.submissions),
    password: passwordPort ? { host: passwordHost, port: passwordPort } : null,
    pop3: at(l.pop3, l.pop3s),
    imap: at(l.imap, l.imaps),
    http: at(l.http, l.https),
    cron: null,
    ldap: at(l.ldap, l.ldaps),
  };
  const services: MailServiceSpec[] = MAIL_SERVICES.map((name) => ({ name, check: checks[name] ?? null }));
  const role = settings.accounts.role;
  if (role === 'master' || role === 'slave') {
    const feed = role === 'master' ? settings.accounts.feedPort : null;
    services.push({ name: 'replication', check: feed ? { host: l.address, port: feed } : null });
  }
  return services;
}

/** Restart budget of each service: the seed's ARMLOAD /R and /H. */
export interface MailRecovery {
  readonly restarts: number;
  readonly windowMs: number;
  readonly finalAction?: 'none' | 'stop-node' | 'reboot';
}

export const DEFAULT_MAIL_RECOVERY: MailRecovery = { restarts: 3, windowMs: 600_000, finalAction: 'none' };

export interface MailGroupOptions {
  readonly name?: string;
  /** Node names by priority: the first is the home node (CLP_SERVER=HOME). */
  readonly nodes: readonly string[];
  readonly vip: { readonly address: string; readonly prefix?: number; readonly driver?: 'iproute2' | 'loopback'; readonly interface?: string };
  readonly volume: { readonly path: string; readonly device?: string; readonly fsType?: string };
  /** How a node runs the CLI: ['tandem'] once installed, or [node, /path/to/bin/tandem.js]. */
  readonly tandem: readonly string[];
  readonly services: readonly MailServiceSpec[];
  /** Node-local files kept identical on every node (a `sync` resource), if any. */
  readonly sync?: readonly string[];
  /** 'services': one `service` resource per mail service; otherwise a `script` resource. */
  readonly style: 'services' | { readonly start: string; readonly stop: string; readonly env?: Readonly<Record<string, string>> };
  readonly monitor?: { readonly intervalMs?: number; readonly timeoutMs?: number; readonly fall?: number };
  readonly recovery?: MailRecovery;
  /** Time allowed for one service to become ready (S15: a first start on a cold node is slow). */
  readonly startTimeoutMs?: number;
  /** Extra environment for the services (declarative) or the scripts. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Declarative style: append each service's log (its stderr) to LOGDIR/NAME.log instead
   * of the node's event log, through `sh -c 'exec "$@" 2>>"$0"'` (the same process).
   */
  readonly logDir?: string;
}

/** A duration as the configuration file writes it: `5s`, `1m`, `250ms`. */
export function formatDuration(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** The `groups[]` entry of the mail group. */
export function mailGroupConfig(o: MailGroupOptions): Record<string, unknown> {
  const recovery = o.recovery ?? DEFAULT_MAIL_RECOVERY;
  const rec = { restarts: recovery.restarts, window: formatDuration(recovery.windowMs), failover: true, finalAction: recovery.finalAction ?? 'none' };
  const interval = formatDuration(o.monitor?.intervalMs ?? 5_000);
  const timeout = formatDuration(o.monitor?.timeoutMs ?? 3_000);
  const fall = o.monitor?.fall ?? 2;
  const tcpMonitor = (s: MailServiceSpec) => (s.check
    ? { name: `${s.name}-port`, kind: 'tcp', host: s.check.host, port: s.check.port, interval, timeout, fall, recovery: rec }
    : null);
  const base = ['volume', 'vip'];
  const resources: Array<Record<string, unknown>> = [
    { name: 'volume', type: 'volume', params: { path: o.volume.path, ...(o.volume.device ? { device: o.volume.device } : {}), ...(o.volume.fsType ? { fsType: o.volume.fsType } : {}) } },
    { name: 'vip', type: 'vip', params: { address: o.vip.address, prefix: o.vip.prefix ?? (o.vip.driver === 'loopback' ? 32 : 24), driver: o.vip.driver ?? 'iproute2', ...(o.vip.interface ? { interface: o.vip.interface } : {}) } },
  ];
  if (o.sync && o.sync.length > 0) resources.push({ name: 'node-files', type: 'sync', params: { paths: [...o.sync] } });
  const startTimeout = formatDuration(o.startTimeoutMs ?? 60_000);
  if (o.style === 'services') {
    for (const s of o.services) {
      // A service without a port is watched through its process (the agent monitor); one
      // with a port through the port on the VIP, which also catches a hung process.
      const monitor = tcpMonitor(s) ?? { name: `${s.name}-process`, kind: 'agent', interval, timeout, fall, recovery: rec };
      const serve = [...o.tandem, 'mail', 'serve', s.name, '--data', o.volume.path];
      const command = o.logDir ? ['sh', '-c', 'exec "$@" 2>>"$0"', `${o.logDir}/${s.name}.log`, ...serve] : serve;
      resources.push({
        name: s.name, type: 'service', dependsOn: base,
        timeouts: { start: startTimeout, stop: '30s', monitor: timeout },
        params: { command, ...(o.env ? { env: { ...o.env } } : {}) },
        monitors: [monitor],
      });
    }
  } else {
    // The script loads every service with `tandem svc load --monitor` (restarts, then
    // failover); the port monitors here also catch a service that hangs without exiting.
    resources.push({
      name: 'mail-services', type: 'script', dependsOn: base,
      timeouts: { start: formatDuration((o.startTimeoutMs ?? 60_000) * 2), stop: '60s', monitor: timeout },
      params: { start: o.style.start, stop: o.style.stop, env: { MAIL_DATA: o.volume.path, ...o.env, ...o.style.env } },
      monitors: o.services.flatMap((s) => { const m = tcpMonitor(s); return m ? [m] : []; }),
    });
  }
  return { name: o.name ?? 'mail', nodes: [...o.nodes], startup: 'auto', failback: 'manual', resources };
}

export interface MailClusterOptions {
  readonly cluster: { readonly name: string; readonly secret: string };
  readonly nodes: ReadonlyArray<{ readonly name: string; readonly addresses: readonly string[]; readonly port?: number }>;
  readonly heartbeat?: { readonly intervalMs: number; readonly timeoutMs: number };
  readonly arbiter: { readonly type: 'disk'; readonly path: string; readonly leaseTtlMs?: number } | { readonly type: 'etcd'; readonly endpoints: readonly string[]; readonly leaseTtlMs?: number };
  readonly group: MailGroupOptions;
  readonly alerts?: ReadonlyArray<Record<string, unknown>>;
}

/** A whole cluster configuration whose one group is the mail group. */
export function mailClusterConfig(o: MailClusterOptions): Record<string, unknown> {
  const a = o.arbiter;
  const ttl = a.leaseTtlMs !== undefined ? { leaseTtl: formatDuration(a.leaseTtlMs) } : {};
  return {
    version: 1,
    cluster: { name: o.cluster.name, secret: o.cluster.secret },
    nodes: o.nodes.map((n) => ({ name: n.name, addresses: [...n.addresses], ...(n.port ? { port: n.port } : {}) })),
    ...(o.heartbeat ? { heartbeat: { interval: formatDuration(o.heartbeat.intervalMs), timeout: formatDuration(o.heartbeat.timeoutMs) } } : {}),
    arbiter: a.type === 'disk' ? { type: 'disk', path: a.path, ...ttl } : { type: 'etcd', endpoints: [...a.endpoints], ...ttl },
    groups: [mailGroupConfig(o.group)],
    alerts: o.alerts ? o.alerts.map((x) => ({ ...x })) : [{ type: 'log' }],
  };
}

/** The configuration as YAML, with a header saying where it came from. */
export function renderClusterYaml(config: Record<string, unknown>, header: readonly string[] = []): string {
  return `${header.map((l) => `# ${l}`).join('\n')}${header.length ? '\n' : ''}${stringifyYaml(config, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
