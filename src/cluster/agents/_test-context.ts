// Test support (not used by the daemon): builds resources through the real config schema,
// so defaults apply as in production, and AgentContexts with a log that is kept.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterConfigSchema, type GroupConfig, type ResourceConfig } from '../model/config-schema.ts';
import type { AgentContext, PeerFiles, StartEvent } from './agent.ts';

/** A resource as the schema parses it (defaults filled), in a group `g` over nodes a and b. */
export function parseResource(raw: Record<string, unknown>, nodes: string[] = ['a', 'b']): { group: GroupConfig; resource: ResourceConfig } {
  const config = clusterConfigSchema.parse({
    version: 1,
    cluster: { name: 'test', secret: 'a-test-secret-of-16+' },
    nodes: nodes.map((n, i) => ({ name: n, addresses: [`198.18.0.${i + 1}`] })),
    arbiter: { type: 'disk', path: '/tmp/none' },
    groups: [{ name: 'g', nodes, resources: [raw] }],
  });
  const group = config.groups[0] as GroupConfig;
  return { group, resource: group.resources[0] as ResourceConfig };
}

export const noPeers: PeerFiles = { push: async () => [] };

export interface TestContext extends AgentContext {
  readonly lines: string[];
}

export function makeContext(opts: {
  group: GroupConfig; resource: ResourceConfig; stateDir: string; node?: string; epoch?: number;
  event?: StartEvent; disk?: 'SUCCESS' | 'FAILURE'; signal?: AbortSignal; peers?: PeerFiles;
}): TestContext {
  const node = opts.node ?? 'a';
  const priority = Math.max(1, opts.group.nodes.indexOf(node) + 1);
  const lines: string[] = [];
  return {
    cluster: 'test', node, group: opts.group, resource: opts.resource, epoch: opts.epoch ?? 1,
    event: opts.event ?? 'START', server: priority === 1 ? 'HOME' : 'OTHER', priority,
    disk: opts.disk ?? 'SUCCESS', stateDir: opts.stateDir, log: (l) => lines.push(l),
    signal: opts.signal ?? new AbortController().signal, peers: opts.peers ?? noPeers, lines,
  };
}

/** A temp directory removed by the returned cleanup. */
export async function tempDir(prefix = 'tandem-agent-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
