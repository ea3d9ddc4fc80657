// The `script` agent: the seed's start/stop scripts (START.BAT/STOP.BAT as sh), run with
// the CLUSTERPRO variables and TANDEM_* equivalents, bounded by the action's timeout, their
// output in the event log. Monitor asks the script (`status`) only when the script says
// it understands that; otherwise it reports the state recorded at start.
import { open } from 'node:fs/promises';
import { OCF, type AgentContext, type AgentOutcome, type OcfRc, type ResourceAgent } from './agent.ts';
import { asType, checkExecutable, clusterEnv, notRunning, outcome, readState, removeState, statePath, success, writeState, type ScriptAction } from './_common.ts';
import { runCommand, describeRun } from './run-command.ts';
import type { ResourceConfig } from '../model/config-schema.ts';

/** A start script that contains this line (in its first 8 KiB) supports `status`. */
export const STATUS_MARKER = /^#\s*tandem:\s*status\b/m;

interface ScriptState {
  readonly state: 'running';
  readonly event: string;
  readonly epoch: number;
  readonly at: string;
}

/** Exit codes 0-7 are taken as OCF codes (a script may say 7, not running); anything else is a generic error. */
export function rcOfExit(code: number | null): OcfRc {
  if (code !== null && code >= 0 && code <= 7) return code as OcfRc;
  return OCF.ERR_GENERIC;
}

export async function supportsStatus(script: string): Promise<boolean> {
  try {
    const fh = await open(script, 'r');
    try {
      const buf = Buffer.alloc(8192);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      return STATUS_MARKER.test(buf.subarray(0, bytesRead).toString('utf8'));
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}

export function scriptAgent(resource: ResourceConfig): ResourceAgent {
  const r = asType(resource, 'script');
  const p = r.params;
  const stateFile = (ctx: AgentContext) => statePath(ctx, 'script.json');

  async function validate(): Promise<AgentOutcome> {
    for (const [what, path] of [['start script', p.start], ['stop script', p.stop]] as const) {
      const bad = await checkExecutable(what, path);
      if (bad) return outcome(bad.includes('absolute') ? OCF.ERR_CONFIGURED : OCF.ERR_INSTALLED, bad);
    }
    return success('start and stop scripts are executable');
  }

  async function run(ctx: AgentContext, script: string, action: ScriptAction, timeoutMs: number, log: boolean) {
    return runCommand({
      command: script, args: [action], env: clusterEnv(ctx, action, p.env),
      signal: ctx.signal, timeoutMs, graceMs: Math.min(5_000, Math.max(500, Math.floor(timeoutMs / 4))),
      log: log ? ctx.log : undefined,
    });
  }

  return {
    validate: () => validate(),

    async start(ctx) {
      const valid = await validate();
      if (valid.rc !== OCF.SUCCESS) return valid;
      const res = await run(ctx, p.start, 'start', r.timeouts.start, true);
      const rc = res.timedOut || res.aborted || res.spawnError ? OCF.ERR_GENERIC : rcOfExit(res.code);
      if (rc !== OCF.SUCCESS) return outcome(rc, describeRun(`start script ${p.start}`, res, r.timeouts.start));
      await writeState(stateFile(ctx), { state: 'running', event: ctx.event, epoch: ctx.epoch, at: new Date().toISOString() } satisfies ScriptState);
      return success(`start script ${p.start} exited 0 (CLP_EVENT=${ctx.event})`);
    },

    async stop(ctx) {
      const valid = await validate();
      if (valid.rc !== OCF.SUCCESS) return valid;
      // The stop script runs even when we recorded nothing: after a crash of the daemon
      // the state file may be the only thing that was lost. Scripts must tolerate it (OCF).
      const res = await run(ctx, p.stop, 'stop', r.timeouts.stop, true);
      const rc = res.timedOut || res.aborted || res.spawnError ? OCF.ERR_GENERIC : rcOfExit(res.code);
      // A stop script saying "not running" (7) is a successful stop.
      if (rc !== OCF.SUCCESS && rc !== OCF.NOT_RUNNING) return outcome(rc, describeRun(`stop script ${p.stop}`, res, r.timeouts.stop));
      await removeState(stateFile(ctx));
      return success(`stop script ${p.stop} exited ${res.code}`);
    },

    async monitor(ctx) {
      if (await supportsStatus(p.start)) {
        const res = await run(ctx, p.start, 'status', r.timeouts.monitor, false);
        if (res.timedOut || res.aborted || res.spawnError) return outcome(OCF.ERR_GENERIC, describeRun(`${p.start} status`, res, r.timeouts.monitor));
        const rc = rcOfExit(res.code);
        const last = res.output[res.output.length - 1];
        return outcome(rc, `${p.start} status exited ${res.code}${last ? `: ${last}` : ''}`);
      }
      const state = await readState<ScriptState>(stateFile(ctx));
      if (!state) return notRunning('not started on this node (recorded state; the script has no status action)');
      return success(`started at ${state.at} with CLP_EVENT=${state.event} (recorded state; the script has no status action)`);
    },
  };
}
