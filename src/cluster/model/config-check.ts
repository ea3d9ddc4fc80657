// Semantic checks of a schema-valid cluster config: the rules that relate fields to each
// other. Each problem names the field path, like the schema's own errors.
import type { ClusterConfig } from './config-schema.ts';
import { findDependencyCycle } from './order.ts';

/** Returns "path: message" problems; an empty list means the config is usable. */
export function checkClusterConfig(config: ClusterConfig): string[] {
  const problems: string[] = [];
  const add = (path: string, message: string): void => { problems.push(`${path}: ${message}`); };

  duplicates(config.nodes.map((n) => n.name)).forEach((i) => add(`nodes.${i}.name`, `duplicate node name "${config.nodes[i]?.name}"`));
  const addressOwner = new Map<string, string>();
  config.nodes.forEach((node, i) => node.addresses.forEach((a, j) => {
    const owner = addressOwner.get(a);
    if (owner !== undefined && owner !== node.name) add(`nodes.${i}.addresses.${j}`, `address ${a} is also node ${owner}'s`);
    addressOwner.set(a, node.name);
  }));

  const hb = config.heartbeat;
  if (hb.timeout <= hb.interval) add('heartbeat.timeout', `must be longer than heartbeat.interval (${hb.timeout} ms <= ${hb.interval} ms)`);
  const ttl = config.arbiter.leaseTtl;
  if (ttl <= hb.interval) add('arbiter.leaseTtl', `must be longer than heartbeat.interval, or the lease cannot be renewed in time (${ttl} ms <= ${hb.interval} ms)`);
  // The etcd lease is ttl + margin rounded up to whole seconds, and etcd grants at least
  // 2 s: failing here beats a lease that is silently longer than configured.
  const margin = (config.arbiter as { margin?: number }).margin ?? Math.floor(ttl / 6);
  if (config.arbiter.type === 'etcd' && ttl + margin <= 1_000) add('arbiter.leaseTtl', `etcd leases are at least 2 s: leaseTtl + margin must be over 1 s (got ${ttl} + ${margin} ms)`);

  duplicates(config.nodeMonitors.map((m) => m.name)).forEach((i) => add(`nodeMonitors.${i}.name`, `duplicate monitor name "${config.nodeMonitors[i]?.name}"`));
  config.nodeMonitors.forEach((m, i) => {
    if (m.timeout > m.interval) add(`nodeMonitors.${i}.timeout`, `must not be longer than interval (${m.timeout} ms > ${m.interval} ms)`);
  });

  const nodeNames = new Set(config.nodes.map((n) => n.name));
  duplicates(config.groups.map((g) => g.name)).forEach((i) => add(`groups.${i}.name`, `duplicate group name "${config.groups[i]?.name}"`));
  const vipOwner = new Map<string, string>();
  config.groups.forEach((group, g) => {
    const at = `groups.${g}`;
    group.nodes.forEach((n, i) => { if (!nodeNames.has(n)) add(`${at}.nodes.${i}`, `unknown node "${n}" (not in nodes)`); });
    duplicates(group.nodes).forEach((i) => add(`${at}.nodes.${i}`, `node "${group.nodes[i]}" listed twice`));
    duplicates(group.resources.map((r) => r.name)).forEach((i) => add(`${at}.resources.${i}.name`, `duplicate resource name "${group.resources[i]?.name}"`));
    const resourceNames = new Set(group.resources.map((r) => r.name));
    group.resources.forEach((r, ri) => {
      const rat = `${at}.resources.${ri}`;
      r.dependsOn.forEach((d, di) => {
        if (d === r.name) add(`${rat}.dependsOn.${di}`, 'a resource cannot depend on itself');
        else if (!resourceNames.has(d)) add(`${rat}.dependsOn.${di}`, `unknown resource "${d}" in group ${group.name}`);
      });
      duplicates(r.monitors.map((m) => m.name)).forEach((i) => add(`${rat}.monitors.${i}.name`, `duplicate monitor name "${r.monitors[i]?.name}"`));
      r.monitors.forEach((m, mi) => {
        const mat = `${rat}.monitors.${mi}`;
        // A monitor never overlaps its previous run, so a timeout past the interval would silently stretch it.
        if (m.timeout > m.interval) add(`${mat}.timeout`, `must not be longer than interval (${m.timeout} ms > ${m.interval} ms)`);
        if (m.recovery.window < m.interval) add(`${mat}.recovery.window`, `must be at least the monitor interval, or failures never add up (${m.recovery.window} ms < ${m.interval} ms)`);
      });
      if (r.type === 'vip') {
        const owner = vipOwner.get(r.params.address);
        if (owner !== undefined) add(`${rat}.params.address`, `VIP ${r.params.address} is also used by ${owner}`);
        vipOwner.set(r.params.address, `${group.name}/${r.name}`);
        if (addressOwner.has(r.params.address)) add(`${rat}.params.address`, `VIP ${r.params.address} is node ${addressOwner.get(r.params.address)}'s real address`);
      }
    });
    const cycle = findDependencyCycle(group);
    if (cycle) add(`${at}.resources`, `dependency cycle: ${cycle.join(' -> ')}`);
  });
  return problems;
}

/** Indexes of entries that repeat an earlier one. */
function duplicates(values: readonly string[]): number[] {
  const seen = new Set<string>();
  const out: number[] = [];
  values.forEach((v, i) => { if (seen.has(v)) out.push(i); seen.add(v); });
  return out;
}
