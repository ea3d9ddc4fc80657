// Runs a plan's actions through the resource agents, each under its timeout (an
// AbortSignal fires at the deadline; agents kill their children TERM then KILL), and
// reports one ActionResult per action tried. Plan order is kept wherever it matters: an
// action waits for every earlier action on a resource it depends on or that depends on it
// (transitively), on the same resource, or of another group, and for every lease or
// bookkeeping action; resources with no such relation (the mail services, which all stand
// on the volume and the VIP only) start and stop side by side, at most `maxParallel` at
// once. After the first failure nothing new begins (what runs finishes): the next cycle
// re-plans from what is now true. Starts are refused unless this node still holds the
// group's lease at the action's epoch and the lease is valid at that very moment.
import { availableParallelism } from 'node:os';
import type { Action, ActionResult, Plan } from '../model/action.ts';
import type { GroupConfig, ResourceConfig } from '../model/config-schema.ts';
import type { ResourceState } from '../model/status.ts';
import { OCF, type AgentContext, type AgentOutcome, type ResourceAgent } from '../agents/agent.ts';
import type { Clock } from '../arbiter/lease.ts';
import { dependentsOf } from '../model/order.ts';

/** After the deadline an agent gets this long to return before it is given up on. */
const ABANDON_GRACE_MS = 5_000;

type ResourceAction = Extract<Action, { kind: 'probe' | 'start' | 'stop' | 'restart' }>;
type OtherAction = Exclude<Action, ResourceAction>;

export interface ExecutorDeps {
  readonly clock: Clock;
  readonly groups: readonly GroupConfig[];
  agentFor(resource: ResourceConfig): ResourceAgent;
  /** The context an agent call gets (event, variables, peers...). */
  contextFor(action: ResourceAction, group: GroupConfig, resource: ResourceConfig, signal: AbortSignal): AgentContext;
  /** The epoch of this node's lease on `group` if it holds one that is valid now, else null. */
  validLeaseEpoch(group: string): number | null;
  /** Lease and bookkeeping actions, done by the daemon. */
  runOther(action: OtherAction, signal: AbortSignal): Promise<ActionResult>;
  /**
   * Agent actions running at once, at most (default: the CPUs of this machine, at least 2).
   * Starting services is mostly CPU work; more at once only makes each one later.
   */
  readonly maxParallel?: number;
}

/** Failure means exec !== 'done' or rc other than expected (Pacemaker's rule). */
export function isFailure(r: ActionResult): boolean {
  if (r.exec !== 'done') return true;
  if (r.action.kind === 'probe') return false;
  return r.rc !== OCF.SUCCESS;
}

export class Executor {
  private readonly slots: Semaphore;
  /** Per group: each resource and everything related to it by dependencies, either way. */
  private readonly related = new Map<string, Map<string, Set<string>>>();

  constructor(private readonly deps: ExecutorDeps) {
    this.slots = new Semaphore(Math.max(1, deps.maxParallel ?? Math.max(2, availableParallelism())));
    for (const g of deps.groups) {
      const rel = new Map<string, Set<string>>(g.resources.map((r) => [r.name, new Set([r.name, ...dependentsOf(g, r.name)])]));
      // Symmetric: X depends on Y means Y's set has X; add Y to X's set too.
      for (const [name, set] of rel) for (const other of set) rel.get(other)?.add(name);
      this.related.set(g.name, rel);
    }
  }

  /**
   * Runs the plan (see the header for the order kept); `onResult` sees each result as it
   * comes. After a failure no further action begins; the results list what was tried.
   */
  async run(plan: Plan, signal: AbortSignal, onResult: (r: ActionResult) => void = () => undefined): Promise<ActionResult[]> {
    const results: ActionResult[] = [];
    const finished: Promise<void>[] = [];
    let failed = false;
    plan.actions.forEach((action) => {
      const before = finished.filter((_, j) => this.mustFollow(plan.actions[j]!, action));
      finished.push((async () => {
        await Promise.all(before);
        if (failed) return;
        const release = isResourceAction(action) ? await this.slots.take() : () => undefined;
        try {
          if (failed) return;
          const r = signal.aborted ? this.result(action, 'cancelled', OCF.ERR_GENERIC, 'cancelled: the daemon is stopping or re-planning') : await this.runOne(action, signal);
          results.push(r);
          onResult(r);
          if (isFailure(r)) failed = true;
        } finally {
          release();
        }
      })());
    });
    await Promise.all(finished);
    return results;
  }

  /** Whether `later` must wait for `earlier` (both of one plan, `earlier` first). */
  private mustFollow(earlier: Action, later: Action): boolean {
    if (!isResourceAction(earlier) || !isResourceAction(later)) return true;
    if (earlier.group !== later.group) return true;
    const rel = this.related.get(later.group)?.get(later.resource);
    // Unknown resources keep plan order (the action fails with a reason anyway).
    return rel === undefined || rel.has(earlier.resource);
  }

  async runOne(action: Action, signal: AbortSignal): Promise<ActionResult> {
    switch (action.kind) {
      case 'probe': case 'start': case 'stop': case 'restart':
        return this.runResource(action, signal);
      default:
        try {
          return await this.deps.runOther(action, signal);
        } catch (err) {
          return this.result(action, 'error', OCF.ERR_GENERIC, `error: ${(err as Error).message}`);
        }
    }
  }

  private async runResource(action: ResourceAction, outer: AbortSignal): Promise<ActionResult> {
    const group = this.deps.groups.find((g) => g.name === action.group);
    const resource = group?.resources.find((r) => r.name === action.resource);
    if (!group || !resource) return this.result(action, 'error', OCF.ERR_CONFIGURED, `no resource ${action.group}/${action.resource} in the configuration`);
    let agent: ResourceAgent;
    try {
      agent = this.deps.agentFor(resource);
    } catch (err) {
      return this.result(action, 'not-installed', OCF.ERR_INSTALLED, `no agent for ${resource.type}: ${(err as Error).message}`);
    }
    if (action.kind === 'restart') {
      const stopped = await this.call(agent, 'stop', { ...action, kind: 'stop' }, group, resource, outer);
      if (isFailure(stopped)) return { ...stopped, action, reason: `restart: ${stopped.reason}` };
    }
    if (action.kind === 'start' || action.kind === 'restart') {
      // The fencing check, at the last moment before acting (a pause may have happened in between).
      const epoch = this.deps.validLeaseEpoch(action.group);
      if (epoch !== action.epoch) {
        const why = epoch === null ? 'this node holds no valid lease for the group now' : `the lease moved on to epoch ${epoch}`;
        return this.result(action, 'cancelled', OCF.ERR_GENERIC, `start refused: planned under epoch ${action.epoch} but ${why}`);
      }
      return this.call(agent, 'start', action, group, resource, outer);
    }
    return this.call(agent, action.kind === 'probe' ? 'monitor' : 'stop', action, group, resource, outer);
  }

  private async call(agent: ResourceAgent, op: 'start' | 'stop' | 'monitor', action: ResourceAction, group: GroupConfig,
    resource: ResourceConfig, outer: AbortSignal): Promise<ActionResult> {
    const timeoutMs = action.timeoutMs > 0 ? action.timeoutMs : 30_000;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new Error('timeout')), timeoutMs);
    const signal = AbortSignal.any([outer, deadline.signal]);
    let abandon: NodeJS.Timeout | undefined;
    try {
      const ctx = this.deps.contextFor(action, group, resource, signal);
      const given = new Promise<AgentOutcome | 'abandoned'>((resolve) => {
        signal.addEventListener('abort', () => { abandon = setTimeout(() => resolve('abandoned'), ABANDON_GRACE_MS); }, { once: true });
      });
      const outcome = await Promise.race([agent[op](ctx), given]);
      if (deadline.signal.aborted) {
        const tail = outcome === 'abandoned' ? 'the agent did not return' : `agent said: ${outcome.reason}`;
        return this.result(action, 'timeout', OCF.ERR_GENERIC, `${op} timed out after ${timeoutMs} ms (${tail})`, op === 'monitor' ? 'failed' : undefined);
      }
      if (outcome === 'abandoned' || outer.aborted) return this.result(action, 'cancelled', OCF.ERR_GENERIC, `${op} cancelled`);
      return this.result(action, 'done', outcome.rc, outcome.reason, op === 'monitor' ? observedFrom(outcome.rc) : undefined);
    } catch (err) {
      return this.result(action, 'error', OCF.ERR_GENERIC, `${op} threw: ${(err as Error).message}`, op === 'monitor' ? 'failed' : undefined);
    } finally {
      clearTimeout(timer);
      if (abandon) clearTimeout(abandon);
    }
  }

  private result(action: Action, exec: ActionResult['exec'], rc: number, reason: string, observed?: ResourceState): ActionResult {
    return { action, exec, rc, reason, atMs: this.deps.clock.now(), ...(observed ? { observed } : {}) };
  }
}

function isResourceAction(a: Action): a is ResourceAction {
  return a.kind === 'probe' || a.kind === 'start' || a.kind === 'stop' || a.kind === 'restart';
}

/** A counting semaphore: take() resolves with the function that gives the slot back. */
class Semaphore {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  async take(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

/** OCF monitor codes as resource states. */
export function observedFrom(rc: number): ResourceState {
  if (rc === OCF.SUCCESS) return 'running';
  if (rc === OCF.NOT_RUNNING) return 'stopped';
  return 'failed';
}
