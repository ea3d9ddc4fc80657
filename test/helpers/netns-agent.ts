// Test helper, run INSIDE a lab namespace (`ip netns exec NS node --import tsx netns-agent.ts JSON`):
// performs one agent action or one monitor probe there and prints one JSON line with the
// outcome, so tests can drive agents on several "hosts" of a netns lab.
import { agentFor } from '../../src/cluster/agents/index.ts';
import { makeContext, parseResource } from '../../src/cluster/agents/_test-context.ts';
import { probeFor } from '../../src/cluster/monitor/probes.ts';
import type { MonitorConfig, NodeMonitorConfig } from '../../src/cluster/model/config-schema.ts';
import { runCommand, describeRun } from '../../src/cluster/agents/run-command.ts';
import { fileURLToPath } from 'node:url';
import type { Lab } from './netns.ts';

export type NetnsAgentRequest =
  | { kind: 'agent'; resource: Record<string, unknown>; action: 'validate' | 'start' | 'stop' | 'monitor'; node: string; epoch?: number; stateDir: string }
  | { kind: 'probe'; monitor: MonitorConfig | NodeMonitorConfig };

export interface NetnsAgentReply { rc?: number; ok?: boolean; reason: string; lines: string[] }

async function main(): Promise<NetnsAgentReply> {
  const req = JSON.parse(process.argv[2] ?? '{}') as NetnsAgentRequest;
  const signal = AbortSignal.timeout(60_000);
  if (req.kind === 'probe') {
    // As the monitor runner does: the probe gets the monitor's timeout, and an answer after
    // it counts as none.
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), req.monitor.timeout);
    const late = new Promise<{ ok: boolean; reason: string }>((resolve) => timeout.signal.addEventListener('abort', () => resolve({ ok: false, reason: `no answer within ${req.monitor.timeout}ms` })));
    const r = await Promise.race([probeFor(req.monitor)(AbortSignal.any([signal, timeout.signal])), late]);
    clearTimeout(timer);
    return { ok: r.ok, reason: r.reason, lines: [] };
  }
  const { group, resource } = parseResource(req.resource, ['a', 'b']);
  const ctx = makeContext({ group, resource, node: req.node, epoch: req.epoch ?? 1, stateDir: req.stateDir, signal });
  const out = await agentFor(resource)[req.action](ctx);
  return { rc: out.rc, reason: out.reason, lines: ctx.lines };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  main().then(
    (r) => { process.stdout.write(`${JSON.stringify(r)}\n`); },
    (err: unknown) => { process.stdout.write(`${JSON.stringify({ rc: 1, reason: `crash: ${(err as Error).stack ?? String(err)}`, lines: [] })}\n`); },
  );
}

/** Runs one request in a lab node's namespace and returns its reply. */
export async function runInLab(lab: Lab, node: string, req: NetnsAgentRequest): Promise<NetnsAgentReply> {
  const script = fileURLToPath(import.meta.url);
  const r = await runCommand({
    command: 'ip', args: ['netns', 'exec', lab.nodes[node]?.ns ?? node, process.execPath, '--import', 'tsx', script, JSON.stringify(req)],
    cwd: fileURLToPath(new URL('../..', import.meta.url)), timeoutMs: 90_000, env: { TANDEM_LOG_LEVEL: 'silent' },
  });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as NetnsAgentReply;
  } catch {
    throw new Error(`netns-agent in ${node} printed no reply (${describeRun('node', r)}): ${r.output.join('\n')}`);
  }
}
