// The `ocf` agent: runs an existing OCF resource agent (Pacemaker's resource-agents, or
// your own) with the OCF environment: OCF_ROOT, OCF_RESOURCE_INSTANCE, OCF_RESKEY_<name>
// for each param. Actions start, stop, monitor and validate-all map to ours; meta-data
// proves the program is an OCF agent. Exit codes 0-7 are OCF codes and pass through 1:1.
import { basename, dirname } from 'node:path';
import { OCF, type AgentContext, type AgentOutcome, type OcfRc, type ResourceAgent } from './agent.ts';
import { asType, checkExecutable, clusterEnv, outcome, success } from './_common.ts';
import { runCommand, describeRun, type RunResult } from './run-command.ts';
import type { ResourceConfig } from '../model/config-schema.ts';

type OcfAction = 'start' | 'stop' | 'monitor' | 'validate-all' | 'meta-data';

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** OCF_ROOT from the agent's path (<root>/resource.d/<provider>/<type>), else the standard /usr/lib/ocf. */
export function ocfRootOf(agent: string): string {
  const m = /^(.*)\/resource\.d\/[^/]+\/[^/]+$/.exec(agent);
  return m?.[1] || '/usr/lib/ocf';
}

/** The environment an OCF agent expects (OCF resource agent API, "Environment variables"). */
export function ocfEnv(ctx: AgentContext, agent: string, params: Readonly<Record<string, string>>, timeoutMs: number): Record<string, string> {
  const root = ocfRootOf(agent);
  const env: Record<string, string> = {
    ...clusterEnv(ctx, 'start'),
    OCF_ROOT: root,
    OCF_FUNCTIONS_DIR: `${root}/lib/heartbeat`,
    OCF_RA_VERSION_MAJOR: '1',
    OCF_RA_VERSION_MINOR: '1',
    OCF_RESOURCE_INSTANCE: `${ctx.group.name}-${ctx.resource.name}`,
    OCF_RESOURCE_TYPE: basename(agent),
    OCF_RESOURCE_PROVIDER: basename(dirname(agent)),
    OCF_RESKEY_CRM_meta_timeout: String(timeoutMs),
  };
  delete env.TANDEM_ACTION;
  for (const [k, v] of Object.entries(params)) env[`OCF_RESKEY_${k}`] = v;
  return env;
}

export function rcOf(r: RunResult): OcfRc {
  if (r.code !== null && r.code >= 0 && r.code <= 7 && !r.timedOut && !r.aborted && !r.spawnError) return r.code as OcfRc;
  return OCF.ERR_GENERIC;
}

export function ocfAgent(resource: ResourceConfig): ResourceAgent {
  const r = asType(resource, 'ocf');
  const p = r.params;
  const type = basename(p.agent);

  function run(ctx: AgentContext, action: OcfAction, timeoutMs: number): Promise<RunResult> {
    return runCommand({
      command: p.agent, args: [action], env: ocfEnv(ctx, p.agent, p.params, timeoutMs),
      signal: ctx.signal, timeoutMs, graceMs: Math.min(5_000, Math.max(500, Math.floor(timeoutMs / 4))),
      // meta-data is XML, not news for the event log.
      log: action === 'meta-data' || action === 'monitor' ? undefined : ctx.log,
    });
  }

  function result(action: OcfAction, res: RunResult, timeoutMs: number): AgentOutcome {
    const rc = rcOf(res);
    if (res.timedOut || res.aborted || res.spawnError) return outcome(rc, describeRun(`${type} ${action}`, res, timeoutMs));
    const last = res.output[res.output.length - 1];
    const extra = res.code !== null && res.code > 7 ? ` (OCF rc ${res.code} is not supported: no promotable resources)` : '';
    return outcome(rc, `${type} ${action} rc ${res.code}${extra}${last ? `: ${last}` : ''}`);
  }

  return {
    async validate(ctx) {
      const bad = await checkExecutable('OCF agent', p.agent);
      if (bad) return outcome(OCF.ERR_INSTALLED, bad);
      const name = Object.keys(p.params).find((k) => !PARAM_NAME.test(k));
      if (name) return outcome(OCF.ERR_CONFIGURED, `parameter name "${name}" cannot be an environment variable`);
      const meta = await run(ctx, 'meta-data', r.timeouts.monitor);
      if (meta.code !== 0 || !meta.stdout.includes('<resource-agent')) {
        return outcome(OCF.ERR_INSTALLED, `${p.agent} meta-data did not describe an OCF agent (${describeRun('meta-data', meta)})`);
      }
      const v = await run(ctx, 'validate-all', r.timeouts.monitor);
      // An agent without validate-all (rc 3) is taken at its meta-data's word.
      if (rcOf(v) === OCF.ERR_UNIMPLEMENTED) return success(`${type}: meta-data ok, no validate-all`);
      return result('validate-all', v, r.timeouts.monitor);
    },
    async start(ctx) {
      return result('start', await run(ctx, 'start', r.timeouts.start), r.timeouts.start);
    },
    async stop(ctx) {
      return result('stop', await run(ctx, 'stop', r.timeouts.stop), r.timeouts.stop);
    },
    async monitor(ctx) {
      return result('monitor', await run(ctx, 'monitor', r.timeouts.monitor), r.timeouts.monitor);
    },
  };
}
