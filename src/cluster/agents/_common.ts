// Helpers every built-in agent shares: outcomes, narrowing a resource to its type, the
// node-local state files, and the CLP_* / TANDEM_* environment that scripts receive.
import { readFile, mkdir, access, constants } from 'node:fs/promises';
import { join, isAbsolute } from 'node:path';
import { replaceFileDurable, unlinkDurable } from '../../lib/durable.ts';
import { OCF, type AgentContext, type AgentOutcome, type OcfRc } from './agent.ts';
import type { ResourceConfig, ResourceType } from '../model/config-schema.ts';

export function outcome(rc: OcfRc, reason: string): AgentOutcome {
  return { rc, reason };
}
export const success = (reason: string): AgentOutcome => outcome(OCF.SUCCESS, reason);
export const notRunning = (reason: string): AgentOutcome => outcome(OCF.NOT_RUNNING, reason);
export const failed = (reason: string): AgentOutcome => outcome(OCF.ERR_GENERIC, reason);

export type ResourceOf<T extends ResourceType> = Extract<ResourceConfig, { type: T }>;

/** The resource narrowed to its type; a mismatch is a programmer error (agentFor picks by type). */
export function asType<T extends ResourceType>(resource: ResourceConfig, type: T): ResourceOf<T> {
  if (resource.type !== type) throw new Error(`agent for ${type} called with a ${resource.type} resource (${resource.name})`);
  return resource as ResourceOf<T>;
}

/**
 * A node-local state file of this resource: `<stateDir>/<group>.<resource>.<suffix>`.
 * Group and resource names are restricted by the config schema, so the name is safe.
 */
export function statePath(ctx: AgentContext, suffix: string): string {
  return join(ctx.stateDir, `${ctx.group.name}.${ctx.resource.name}.${suffix}`);
}

/** Reads a JSON state file; null when missing or unreadable (a torn write counts as missing). */
export async function readState<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** Writes a JSON state file durably (it must survive a crash of the node to make stop meaningful). */
export async function writeState(path: string, value: unknown): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  await replaceFileDurable(path, `${JSON.stringify(value)}\n`);
}

export async function removeState(path: string): Promise<void> {
  await unlinkDurable(path);
}

/** Checks that a path is absolute and executable; the reason otherwise. */
export async function checkExecutable(what: string, path: string): Promise<string | null> {
  if (!isAbsolute(path)) return `${what} ${path} is not an absolute path`;
  try {
    await access(path, constants.F_OK);
  } catch {
    return `${what} ${path} does not exist`;
  }
  try {
    await access(path, constants.X_OK);
  } catch {
    return `${what} ${path} is not executable (chmod +x)`;
  }
  return null;
}

/** Finds a program in PATH (validate checks for ip, arping, mount...). */
export async function findInPath(program: string): Promise<string | null> {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (!dir) continue;
    try {
      await access(join(dir, program), constants.X_OK);
      return join(dir, program);
    } catch { /* next */ }
  }
  return null;
}

/** Which script action the environment describes. */
export type ScriptAction = 'start' | 'stop' | 'status';

/**
 * The CLUSTERPRO variables (DESIGN 2.7, SEED-NOTES S8) and their TANDEM_* equivalents,
 * as start/stop scripts, OCF agents and services see them. `extra` (params.env) comes last
 * but cannot override these: a script must be able to trust CLP_EVENT.
 */
export function clusterEnv(ctx: AgentContext, action: ScriptAction, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const base: Record<string, string> = {
    CLP_EVENT: ctx.event,
    CLP_DISK: ctx.disk,
    CLP_SERVER: ctx.server,
    CLP_GROUPNAME: ctx.group.name,
    CLP_RESOURCENAME: ctx.resource.name,
    CLP_PRIORITY: String(ctx.priority),
    CLP_NODE: ctx.node,
    TANDEM_EVENT: ctx.event,
    TANDEM_DISK: ctx.disk,
    TANDEM_SERVER: ctx.server,
    TANDEM_GROUP: ctx.group.name,
    TANDEM_RESOURCE: ctx.resource.name,
    TANDEM_PRIORITY: String(ctx.priority),
    TANDEM_NODE: ctx.node,
    TANDEM_CLUSTER: ctx.cluster,
    TANDEM_EPOCH: String(ctx.epoch),
    TANDEM_ACTION: action,
    TANDEM_STATE_DIR: ctx.stateDir,
  };
  return { ...extra, ...base };
}

/** Milliseconds left of an operation's timeout, for sub-steps that need their own bound. */
export function timeoutOf(ctx: AgentContext, op: 'start' | 'stop' | 'monitor'): number {
  return ctx.resource.timeouts[op];
}

/** Resolves after `ms`, or early (false) when the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(true); }, ms);
    const onAbort = () => { clearTimeout(t); resolve(false); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
