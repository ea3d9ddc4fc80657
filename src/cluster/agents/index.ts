// The built-in agents by resource type (and VIP driver): the executor's one entry point.
import type { ResourceConfig } from '../model/config-schema.ts';
import { OCF, type ResourceAgent } from './agent.ts';
import { volumeAgent } from './volume.ts';
import { serviceAgent } from './service.ts';
import { scriptAgent } from './script.ts';
import { vipAgent } from './vip.ts';
import { syncAgent } from './sync.ts';

/** An agent for a type this build does not implement yet: every action says so. */
function unimplemented(resource: ResourceConfig): ResourceAgent {
  const out = async () => ({ rc: OCF.ERR_UNIMPLEMENTED, reason: `resource type ${resource.type} is not implemented yet` });
  return { validate: out, start: out, stop: out, monitor: out };
}

/** The agent that runs `resource`. Agents hold no per-call state; one may be cached per resource. */
export function agentFor(resource: ResourceConfig): ResourceAgent {
  switch (resource.type) {
    case 'volume': return volumeAgent(resource);
    case 'service': return serviceAgent(resource);
    case 'script': return scriptAgent(resource);
    case 'vip': return vipAgent(resource);
    case 'sync': return syncAgent(resource);
    default: return unimplemented(resource);
  }
}

export { OCF } from './agent.ts';
export type { ResourceAgent, AgentContext, AgentOutcome, PeerFiles, SyncedFile, StartEvent } from './agent.ts';
