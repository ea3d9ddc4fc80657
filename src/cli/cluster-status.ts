// `tandem status` (clpstat) and `tandem log` (the node's event log, with --follow): read-only
// views of one node daemon, found from --config/TANDEM_CLUSTER_CONFIG and --node.
import type { Command } from 'commander';
import type { ClusterEvent } from '../cluster/model/event.ts';
import { action } from './io.ts';
import { apiClient, withTarget, type ClusterOpts } from './cluster-client.ts';

interface NodeRow { name: string; self: boolean; reachable: boolean; configHashMatches: boolean; stopped: boolean; maintenance: boolean; failingMonitors: string[]; lastSeenAgoMs: number | null; differences?: Array<{ path: string; a: unknown; b: unknown }> | string }
interface GroupRow {
  name: string; nodes: string[]; holder: string | null; epoch: number; validForMs: number | null; request: string; moveTo: string | null; suspended: string[];
  resources: Record<string, Record<string, string>>; failures: Array<{ node: string; resource: string; monitor: string | null; agoMs: number }>;
  lastResults: Array<{ exec: string; rc: number; reason: string; agoMs: number; action: { kind: string; resource?: string } }>;
  monitors: Array<{ resource: string; name: string; kind: string; failing: boolean; suspended: boolean }>;
}
interface Status { cluster: string; node: string; configHash: string; stopped: boolean; summary: string; guardPid: number | null; nodes: NodeRow[]; groups: GroupRow[]; nodeMonitors: Array<{ name: string; kind: string; failing: boolean }>; services: Array<{ name: string; group: string; pid: number | null; state: string; restarts: number }> }

const ago = (ms: number | null): string => (ms === null ? 'never' : ms < 1000 ? `${ms} ms ago` : `${(ms / 1000).toFixed(1)} s ago`);

export function formatStatus(s: Status): string {
  const out: string[] = [];
  out.push(`cluster ${s.cluster}, seen from ${s.node}${s.stopped ? ' (cluster service STOPPED)' : ''}; config ${s.configHash.slice(0, 12)}`);
  out.push(s.summary ? `  last cycle: ${s.summary}` : '');
  out.push('', 'NODES');
  for (const n of s.nodes) {
    const flags = [n.self ? 'this node' : n.reachable ? `reachable (heartbeat ${ago(n.lastSeenAgoMs)})` : `UNREACHABLE (last heartbeat ${ago(n.lastSeenAgoMs)})`];
    if (!n.self && n.reachable) flags.push(n.configHashMatches ? 'config matches' : 'CONFIG DIFFERS: may not run groups');
    if (n.stopped) flags.push('cluster service stopped');
    if (n.maintenance) flags.push('maintenance');
    if (n.failingMonitors.length > 0) flags.push(`failing node monitors: ${n.failingMonitors.join(', ')}`);
    out.push(`  ${n.name.padEnd(12)} ${flags.join('; ')}`);
    if (typeof n.differences === 'string') out.push(`      differences: ${n.differences}`);
    else for (const d of n.differences ?? []) out.push(`      differs: ${d.path}: here ${JSON.stringify(d.a)}, there ${JSON.stringify(d.b)}`);
  }
  for (const m of s.nodeMonitors) out.push(`  node monitor ${m.name} (${m.kind}): ${m.failing ? 'FAILING' : 'ok'}`);
  out.push('', 'GROUPS');
  for (const g of s.groups) {
    const lease = g.holder ? `held by ${g.holder}, epoch ${g.epoch}${g.validForMs !== null ? `, valid for ${g.validForMs} ms` : ''}` : `offline (last epoch ${g.epoch})`;
    const req = [g.request !== 'none' ? `operator: ${g.request}` : '', g.moveTo ? `moving to ${g.moveTo}` : ''].filter(Boolean).join(', ');
    out.push(`  ${g.name}: ${lease}${req ? ` [${req}]` : ''}   nodes by priority: ${g.nodes.join(' > ')}`);
    const resourceNames = [...new Set(Object.values(g.resources).flatMap((r) => Object.keys(r)))];
    for (const r of resourceNames) {
      const per = g.nodes.map((n) => `${n}=${g.resources[n]?.[r] ?? 'unknown'}`).join(' ');
      out.push(`    ${r.padEnd(16)} ${per}${g.suspended.includes(r) ? '  (monitors suspended)' : ''}`);
    }
    for (const m of g.monitors) out.push(`    monitor ${m.resource}/${m.name} (${m.kind}): ${m.suspended ? 'suspended' : m.failing ? 'FAILING' : 'ok'}`);
    for (const f of g.failures.slice(-5)) out.push(`    failure: ${f.resource} on ${f.node}${f.monitor ? ` (monitor ${f.monitor})` : ''}, ${ago(f.agoMs)}`);
    for (const r of g.lastResults.filter((x) => x.exec !== 'done' || (x.action.kind !== 'probe' && x.rc !== 0)).slice(-3)) out.push(`    last failed action: ${r.action.kind} ${r.action.resource ?? ''}: ${r.exec} rc ${r.rc}: ${r.reason} (${ago(r.agoMs)})`);
  }
  if (s.services.length > 0) {
    out.push('', 'SERVICES (tandem svc)');
    for (const v of s.services) out.push(`  ${v.name.padEnd(12)} group ${v.group}, ${v.state}, pid ${v.pid ?? '-'}, restarts ${v.restarts}`);
  }
  return `${out.join('\n')}\n`;
}

function formatEvent(e: ClusterEvent): string {
  const where = [e.group, e.resource].filter(Boolean).join('/');
  return `${e.at} ${e.node} #${e.seq} ${e.level.toUpperCase().padEnd(7)} ${e.kind}${where ? ` [${where}]` : ''}: ${e.message}`;
}

export function registerStatusCommands(program: Command): void {
  withTarget(program.command('status'))
    .description('cluster status as one node sees it: nodes, config match, groups, resources, monitors, failures')
    .option('--json', 'print JSON')
    .action(action(async (opts: ClusterOpts & { json?: boolean }) => {
      const api = await apiClient(opts);
      const s = await api.call<Status>('GET', '/api/status');
      process.stdout.write(opts.json ? `${JSON.stringify(s, null, 2)}\n` : formatStatus(s));
    }));

  withTarget(program.command('log'))
    .description('the node\'s event log (newest last)')
    .option('--group <group>', 'only events of this group')
    .option('--kind <kind>', 'only events of this kind (prefix, e.g. lease or group.started)')
    .option('-n, --lines <n>', 'how many events', '50')
    .option('--follow', 'keep printing new events (Ctrl-C stops)')
    .option('--json', 'one JSON object per line')
    .action(action(async (opts: ClusterOpts & { group?: string; kind?: string; lines: string; follow?: boolean; json?: boolean }) => {
      const api = await apiClient(opts);
      const query = (after: number, wait: number, limit: number): string => {
        const q = new URLSearchParams({ after: String(after), limit: String(limit), wait: String(wait) });
        if (opts.group) q.set('group', opts.group);
        if (opts.kind) q.set('kind', opts.kind);
        return `/api/events?${q.toString()}`;
      };
      const print = (e: ClusterEvent): void => { process.stdout.write(opts.json ? `${JSON.stringify(e)}\n` : `${formatEvent(e)}\n`); };
      type Page = { events: ClusterEvent[]; lastSeq: number };
      const first = await api.call<Page>('GET', query(0, 0, Number(opts.lines) || 50));
      first.events.forEach(print);
      let after = first.lastSeq;
      while (opts.follow) {
        const next = await api.call<Page>('GET', query(after, 20_000, 1000), 30_000);
        next.events.forEach(print);
        // Past every event the node has, matching or not, so the long poll waits for new ones.
        after = Math.max(after, next.lastSeq);
      }
    }));
}
