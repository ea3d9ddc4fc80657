// Operator actions on a running daemon (the API calls these): group start/stop/move/failover,
// monitor suspend/resume, broadcast, svc load/kill/restart. Group changes are recorded as the
// group's operator state and forwarded over the node channel to every reachable node, so
// the node that must act (the lease holder, the target) learns it at once.
import { TandemError } from '../../lib/errors.ts';
import { eligibility } from '../policy/placement.ts';
import type { NodeDaemon } from './daemon.ts';
import type { SvcInfo, SvcSpec } from './services.ts';

function groupOf(d: NodeDaemon, name: string) {
  const g = d.groupConfig(name);
  if (!g) throw new TandemError('CLU_ERR_NO_GROUP', 'not-found', `no group ${JSON.stringify(name)} in the configuration (groups: ${d.config.groups.map((x) => x.name).join(', ') || 'none'})`);
  return g;
}

export function groupStart(d: NodeDaemon, group: string): string {
  groupOf(d, group);
  d.setOperator(group, { ...d.operatorOf(group), request: 'start' });
  return `group ${group}: start requested`;
}

export function groupStop(d: NodeDaemon, group: string): string {
  groupOf(d, group);
  d.setOperator(group, { ...d.operatorOf(group), request: 'stop', moveTo: null, moveAtWall: null });
  return `group ${group}: stop requested`;
}

/** The next node by priority after the current holder that may run the group now. */
export function failoverTarget(d: NodeDaemon, group: string): { ok: true; node: string } | { ok: false; reason: string } {
  const g = groupOf(d, group);
  const view = d.view();
  const status = view.groups[group]!;
  const holder = status.lease.holder;
  const candidates = g.nodes.filter((n) => n !== holder);
  const reasons: string[] = [];
  for (const n of candidates) {
    const e = eligibility(view, g, status, n);
    if (e.ok) return { ok: true, node: n };
    reasons.push(e.why);
  }
  return { ok: false, reason: reasons.length > 0 ? reasons.join('; ') : `group ${group} has no other node` };
}

export function groupMove(d: NodeDaemon, group: string, to: string | undefined): string {
  const g = groupOf(d, group);
  const op = d.operatorOf(group);
  if (op.request === 'stop') throw new TandemError('CLU_ERR_GROUP_STOPPED', 'not-possible', `group ${group} is stopped by the operator: start it first (tandem group start ${group})`);
  let target = to;
  if (target === undefined) {
    const t = failoverTarget(d, group);
    if (!t.ok) throw new TandemError('CLU_ERR_NO_TARGET', 'not-possible', `no node can take group ${group}: ${t.reason}`);
    target = t.node;
  }
  if (!g.nodes.includes(target)) throw new TandemError('CLU_ERR_BAD_TARGET', 'invalid', `${target} is not in group ${group}'s node list (${g.nodes.join(', ')})`);
  const view = d.view();
  const e = eligibility(view, g, view.groups[group]!, target);
  if (!e.ok) throw new TandemError('CLU_ERR_NOT_ELIGIBLE', 'not-possible', `move of group ${group} to ${target} refused: ${e.why}`);
  if (view.groups[group]!.lease.holder === target) return `group ${group} already runs on ${target}`;
  d.setOperator(group, { ...op, moveTo: target, moveAtWall: Date.now() });
  d.emit({ kind: 'group.move-requested', level: 'info', group, message: `group ${group}: move to ${target} requested` });
  return `group ${group}: moving to ${target}`;
}

/** Suspends or resumes the monitors of every resource named `name` or carrying a monitor `name`. */
export function setMonitorSuspended(d: NodeDaemon, name: string, suspended: boolean): string {
  const hits: string[] = [];
  for (const g of d.config.groups) {
    const resources = g.resources.filter((r) => r.name === name || r.monitors.some((m) => m.name === name)).map((r) => r.name);
    if (resources.length === 0) continue;
    const op = d.operatorOf(g.name);
    const set = new Set(op.suspended);
    for (const r of resources) { if (suspended) set.add(r); else set.delete(r); }
    d.setOperator(g.name, { ...op, suspended: [...set].sort() });
    hits.push(...resources.map((r) => `${g.name}/${r}`));
  }
  if (hits.length === 0) throw new TandemError('CLU_ERR_NO_MONITOR', 'not-found', `no resource or monitor named ${JSON.stringify(name)}`);
  d.emit({ kind: suspended ? 'monitor.suspended' : 'monitor.resumed', level: 'info', message: `monitors of ${hits.join(', ')} ${suspended ? 'suspended' : 'resumed'}` });
  return `monitors of ${hits.join(', ')} ${suspended ? 'suspended' : 'resumed'}`;
}

/** An event in every reachable node's log and alert sinks. */
export async function broadcast(d: NodeDaemon, text: string): Promise<string> {
  d.receiveBroadcast(text, d.self);
  const peers = [...d.channel.peers.keys()].filter((p) => d.channel.isReachable(p, d.config.heartbeat.timeout));
  const results = await Promise.all(peers.map(async (p) => ({ p, r: await d.call(p, 'POST', '/peer/broadcast', { text, from: d.self }, 3_000) })));
  const failed = results.filter((x) => !x.r.ok).map((x) => x.p);
  return `broadcast to ${[d.self, ...peers.filter((p) => !failed.includes(p))].join(', ')}${failed.length > 0 ? `; not delivered to ${failed.join(', ')}` : ''}`;
}

export function svcLoad(d: NodeDaemon, spec: SvcSpec): SvcInfo {
  groupOf(d, spec.group);
  if (d.leases.validEpoch(spec.group) === null) {
    const holder = d.leases.status(spec.group).holder;
    throw new TandemError('CLU_ERR_NOT_ACTIVE', 'not-possible', `group ${spec.group} is not running on ${d.self} (lease holder: ${holder ?? 'none'}): svc load runs on the active node, from the group's start script`);
  }
  if (spec.command.length === 0) throw new TandemError('CLU_ERR_ARGS', 'invalid', 'svc load needs a command after --');
  try {
    const info = d.services.load(spec);
    d.refreshGuard();
    return info;
  } catch (err) {
    throw new TandemError('CLU_ERR_SVC', 'exists', (err as Error).message);
  }
}

/**
 * The `service` resources NAME designates ("resource" or "group/resource"): those of
 * groups this node holds, and why NAME cannot be restarted in place when it names a
 * resource of another type (a VIP or a volume moves with its group).
 */
function serviceResources(d: NodeDaemon, name: string): { here: Array<{ group: string; resource: string }>; wrongType: string | null } {
  const slash = name.indexOf('/');
  const [groupName, resourceName] = slash >= 0 ? [name.slice(0, slash), name.slice(slash + 1)] : [null, name];
  const here: Array<{ group: string; resource: string }> = [];
  let wrongType: string | null = null;
  for (const g of d.config.groups) {
    if (groupName !== null && g.name !== groupName) continue;
    const r = g.resources.find((x) => x.name === resourceName);
    if (!r) continue;
    if (r.type !== 'service') wrongType ??= `${g.name}/${r.name} is a ${r.type} resource: only service resources restart in place (a ${r.type} moves with its group: tandem group move ${g.name})`;
    else if (d.leases.validEpoch(g.name) !== null) here.push({ group: g.name, resource: r.name });
  }
  return { here, wrongType };
}

/**
 * S16, cluster-aware restart of a `service` resource: its monitors are suspended (unless
 * the operator had already suspended them), the daemon stops and starts it through its
 * agent (readiness checked), then the monitors resume. The stop is a SIGTERM, so a mail
 * service drains (docs/switchover.md). Nothing here counts as a failure, so the group
 * never moves because of it; a service that does not come back is a real failure and
 * its recovery policy applies.
 */
async function restartResource(d: NodeDaemon, group: string, resource: string): Promise<string> {
  const state = d.view().groups[group]?.resources[d.self]?.[resource];
  if (state !== 'running') throw new TandemError('CLU_ERR_NOT_RUNNING', 'not-possible', `${group}/${resource} is ${state ?? 'unknown'} on ${d.self}, not running: nothing to restart (see tandem status)`);
  const before = d.operatorOf(group);
  const suspendedByUs = !before.suspended.includes(resource);
  if (suspendedByUs) d.setOperator(group, { ...before, suspended: [...before.suspended, resource].sort() });
  d.emit({ kind: 'resource.restart-requested', level: 'info', group, resource, message: `${group}/${resource}: restart in place on ${d.self} requested by the operator (S16): monitors suspended, no failover` });
  let result;
  try {
    result = await d.restartInPlace(group, resource);
  } finally {
    if (suspendedByUs) {
      const now = d.operatorOf(group);
      d.setOperator(group, { ...now, suspended: now.suspended.filter((x) => x !== resource) });
    }
  }
  const resumed = suspendedByUs ? 'monitors resumed' : 'monitors stay suspended (they were before)';
  if (result.exec === 'done' && result.rc === 0) {
    const message = `${group}/${resource} restarted in place on ${d.self} (${result.reason}); ${resumed}; no failover`;
    d.emit({ kind: 'resource.restart-done', level: 'info', group, resource, message });
    return message;
  }
  const message = `restart of ${group}/${resource} on ${d.self} failed: ${result.exec}, rc ${result.rc}: ${result.reason}; ${resumed}; it counts as failed and its recovery policy applies`;
  d.emit({ kind: 'resource.restart-failed', level: 'error', group, resource, message });
  throw new TandemError('CLU_ERR_RESTART_FAILED', 'temp', message);
}

/**
 * Kills or restarts a loaded service (`svc load`) here; restarts a `service` resource of
 * a group running here (S16); otherwise asks the other nodes (forwarded once).
 */
export async function svcOp(d: NodeDaemon, op: 'kill' | 'restart', name: string, forwarded: boolean): Promise<string> {
  if (d.services.has(name)) {
    if (op === 'kill') { await d.services.kill(name); return `service ${name} stopped on ${d.self}`; }
    const info = await d.services.restart(name);
    return `service ${name} restarted on ${d.self} (pid ${info.pid ?? '?'}); its monitor was suspended meanwhile; no failover`;
  }
  const resources = serviceResources(d, name);
  if (resources.here.length > 1) {
    throw new TandemError('CLU_ERR_AMBIGUOUS', 'invalid', `${JSON.stringify(name)} names ${resources.here.map((x) => `${x.group}/${x.resource}`).join(', ')}: say which, as GROUP/RESOURCE`);
  }
  const target = resources.here[0];
  if (target) {
    if (op === 'kill') throw new TandemError('CLU_ERR_NOT_SVC', 'not-possible', `${target.group}/${target.resource} is a service resource of group ${target.group}: it stops with its group (tandem group stop ${target.group}); svc kill stops what svc load started`);
    return restartResource(d, target.group, target.resource);
  }
  if (!forwarded) {
    for (const p of d.channel.peers.keys()) {
      if (!d.channel.isReachable(p, d.config.heartbeat.timeout)) continue;
      const r = await d.call<{ message: string }>(p, 'POST', `/api/svc/${op}`, { name, forwarded: true }, 28_000);
      if (r.ok) return r.body.message;
      // The node that has it answered, with a reason (a restart that failed): that is the answer.
      if (r.status !== 404 && r.status !== 0) throw new TandemError('CLU_ERR_SVC', 'not-possible', `${p}: ${r.reason}`);
    }
  }
  if (resources.wrongType) throw new TandemError('CLU_ERR_NOT_SERVICE', 'not-possible', resources.wrongType);
  throw new TandemError('CLU_ERR_NO_SVC', 'not-found', `no service ${JSON.stringify(name)} is loaded${op === 'restart' ? ' or a running service resource' : ''} on ${forwarded ? d.self : 'any reachable node'}`);
}
