// What `tandem status` and GET /api/status show: one node's view of the cluster as plain
// JSON (nodes, leases, resources per node, monitors, failures, last results, services).
import type { NodeDaemon } from './daemon.ts';

export function statusReport(d: NodeDaemon): Record<string, unknown> {
  const view = d.view();
  const now = d.clock.now();
  return {
    cluster: d.config.cluster.name,
    node: d.self,
    configHash: d.hash,
    stopped: d.isStopped(),
    maintenance: d.isMaintenance,
    guardPid: d.guard?.pid ?? null,
    pid: process.pid,
    summary: d.summary,
    channel: d.channel.stats,
    nodes: d.config.nodes.map((n) => {
      const s = view.nodes[n.name]!;
      const p = d.channel.peers.get(n.name);
      return { ...s, self: n.name === d.self, lastSeenAgoMs: p?.lastSeenMs != null ? Math.round(now - p.lastSeenMs) : null, addresses: n.addresses };
    }),
    groups: d.config.groups.map((g) => {
      const st = view.groups[g.name]!;
      const op = d.operatorOf(g.name);
      return {
        name: g.name, nodes: g.nodes, holder: st.lease.holder, epoch: st.lease.epoch,
        validForMs: st.lease.validUntilMs !== null ? Math.round(st.lease.validUntilMs - now) : null,
        request: op.request, moveTo: op.moveTo, suspended: op.suspended,
        resources: st.resources,
        failures: st.failures.slice(-10).map((f) => ({ ...f, agoMs: Math.round(now - f.atMs) })),
        lastResults: st.lastResults.slice(-5).map((r) => ({ action: r.action, exec: r.exec, rc: r.rc, reason: r.reason, agoMs: Math.round(now - r.atMs) })),
        monitors: g.resources.flatMap((r) => r.monitors.map((m) => ({ resource: r.name, name: m.name, kind: m.kind,
          failing: d.isMonitorFailing(`r:${g.name}/${r.name}/${m.name}`), suspended: op.suspended.includes(r.name) }))),
      };
    }),
    nodeMonitors: d.config.nodeMonitors.map((m) => ({ name: m.name, kind: m.kind, failing: d.isMonitorFailing(`n:${m.name}`) })),
    services: d.services.list(),
  };
}
