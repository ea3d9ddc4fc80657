// The built-in agents by resource type (and VIP driver): the executor's one entry point.
import type { ResourceConfig } from '../model/config-schema.ts';
import type { ResourceAgent } from './agent.ts';
import { assertNever } from '../../lib/errors.ts';
import { volumeAgent } from './volume.ts';
import { serviceAgent } from './service.ts';
import { scriptAgent } from './script.ts';
import { vipAgent } from './vip.ts';
import { syncAgent } from './sync.ts';
import { ocfAgent } from './ocf.ts';

/**
 * The agent that runs `resource`. Agents keep their state in files under ctx.stateDir;
 * the service and sync agents also keep in-process handles (child exit status, watchers)
 * keyed by stateDir, group and resource, so creating a new agent per call is fine.
 */
export function agentFor(resource: ResourceConfig): ResourceAgent {
  switch (resource.type) {
    case 'vip': return vipAgent(resource);
    case 'volume': return volumeAgent(resource);
    case 'script': return scriptAgent(resource);
    case 'service': return serviceAgent(resource);
    case 'sync': return syncAgent(resource);
    case 'ocf': return ocfAgent(resource);
    default: return assertNever(resource, 'resource type');
  }
}

export { OCF } from './agent.ts';
export type { ResourceAgent, AgentContext, AgentOutcome, PeerFiles, SyncedFile, StartEvent } from './agent.ts';
export { FENCE_FILE, readFence, type FenceRecord } from './fence.ts';
export { writeSyncedFile } from './sync.ts';
