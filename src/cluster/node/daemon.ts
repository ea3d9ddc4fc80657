// The node daemon (`tandem node start`): every heartbeat interval it heartbeats to the
// arbiter and the peers, renews its leases, runs its monitors, builds the ClusterView,
// decides, and executes the plan; every state change becomes an event. Keepalive and
// execution are decoupled: a long start never delays a renewal, and every start is
// re-checked against the lease at the moment it runs (executor).
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { replaceFileDurable } from '../../lib/durable.ts';
import { performance } from 'node:perf_hooks';
import type { ClusterConfig, GroupConfig, ResourceConfig } from '../model/config-schema.ts';
import type { ActionResult, Plan } from '../model/action.ts';
import type { ClusterView, Failure, ResourceState } from '../model/status.ts';
import type { EventSink } from '../model/event.ts';
import { configHash } from '../model/config-hash.ts';
import { decide } from '../policy/decide.ts';
import { summarizeCycle } from '../policy/summary.ts';
import type { AgentContext, AgentFactory, StartEvent } from '../agents/agent.ts';
import type { Arbiter, Clock } from '../arbiter/lease.ts';
import { leaseMargin } from '../arbiter/factory.ts';
import { deriveKeys, type ChannelKeys } from '../transport/auth.ts';
import { HeartbeatChannel } from '../transport/channel.ts';
import { isNewer, NO_OPERATOR_STATE, type NodeReport, type OperatorState } from '../transport/messages.ts';
import { rpc, targetOf, type RpcResult } from '../transport/rpc.ts';
import { Executor } from '../executor/executor.ts';
import { logger, type Logger } from '../../lib/log.ts';
import { EventLog, type EventInput } from './event-log.ts';
import { LeaseKeeper } from './lease-keeper.ts';
import { buildView, type PeerInput } from './view.ts';
import { MonitorRunner, nodeMonitorSpec, resourceMonitorSpec, type MonitorSpec } from '../monitor/index.ts';
import { ServiceSupervisor } from './services.ts';
import { GuardFeed } from './guard-feed.ts';
import { sharedMonotonicMs, type GuardMessage } from './guard.ts';
import { ChannelPeerFiles, type FileMessage } from './peer-files.ts';
import { failoverTarget } from './operations.ts';
import { statusReport } from './status-report.ts';

const MAX_FAILURES_KEPT = 50;
const MAX_RESULTS_KEPT = 20;
/** Re-planning rounds within one cycle after a lease was acquired (acquire, probe, start). */
const MAX_FOLLOW_UP_ROUNDS = 4;
/** How often a standby looks at another node's lease between heartbeats (a fraction of one). */
const HOLDER_WATCH_DIVISOR = 5;

export interface DaemonOptions {
  readonly config: ClusterConfig;
  readonly self: string;
  readonly stateDir: string;
  readonly arbiter: Arbiter;
  readonly agentFor: AgentFactory;
  readonly sinks?: readonly EventSink[];
  /** Spawn the self-fencing guard (default true; a daemon without one takes no lease). */
  readonly guard?: boolean;
  readonly allowReboot?: boolean;
  readonly clock?: Clock;
}

export class NodeDaemon {
  readonly config: ClusterConfig;
  readonly self: string;
  readonly keys: ChannelKeys;
  readonly hash: string;
  readonly events: EventLog;
  readonly channel: HeartbeatChannel;
  readonly leases: LeaseKeeper;
  readonly services: ServiceSupervisor;
  readonly clock: Clock;
  readonly guard: GuardFeed | null;
  private readonly log: Logger;
  private readonly executor: Executor;
  private readonly monitors: MonitorRunner;
  private readonly activeMonitors = new Set<string>();
  private readonly intervalMs: number;
  private readonly marginMs: number;
  private readonly startedAtMs: number;
  private readonly resources = new Map<string, Record<string, ResourceState>>();
  private readonly failures = new Map<string, Failure[]>();
  private readonly lastResults = new Map<string, ActionResult[]>();
  private readonly operator = new Map<string, OperatorState>();
  private readonly startEvent = new Map<string, StartEvent>();
  private readonly groupUp = new Map<string, boolean>();
  private readonly wasReachable = new Map<string, boolean>();
  private readonly hashWarned = new Set<string>();
  private stopped = false;
  private readonly maintenance = false;
  private timer: NodeJS.Timeout | undefined;
  private holderWatch: NodeJS.Timeout | undefined;
  private watching = false;
  private expectedAt = 0;
  private ticking = false;
  /** A wake-up arrived during a tick: run another one as soon as it ends. */
  private wakePending = false;
  /** What each peer last reported of its state (not its ages), to notice a change. */
  private readonly peerStateKey = new Map<string, string>();
  /** The first tick's lateness is start-up work (module loading), not a pause. */
  private ticked = false;
  private cycle: Promise<void> | null = null;
  private cycleAbort = new AbortController();
  private shuttingDown = false;
  private operatorWrite: Promise<void> = Promise.resolve();
  private lastSummary = '';
  readonly shutdown = new AbortController();

  constructor(private readonly opts: DaemonOptions) {
    this.config = opts.config;
    this.self = opts.self;
    this.clock = opts.clock ?? { now: () => performance.now() };
    this.keys = deriveKeys(this.config.cluster.name, this.config.cluster.secret);
    this.hash = configHash(this.config);
    this.intervalMs = this.config.heartbeat.interval;
    this.marginMs = leaseMargin(this.config);
    this.startedAtMs = this.clock.now();
    this.log = logger('node', { node: this.self });
    this.events = new EventLog(opts.stateDir, this.config.cluster.name, this.self, opts.sinks ?? []);
    this.channel = new HeartbeatChannel(this.config, this.self, this.keys, this.clock);
    // Arbiter calls end well before the next renewal is due.
    const callTimeout = Math.max(this.intervalMs, Math.floor((this.config.arbiter.leaseTtl - 2 * this.marginMs) / 2));
    this.leases = new LeaseKeeper(opts.arbiter, this.self, this.clock, callTimeout);
    this.services = new ServiceSupervisor({
      event: (kind, level, svc, message, data) => this.emit({ kind, level, group: svc.group, ...(svc.resource ? { resource: svc.resource } : {}), message, data: { svc: svc.name, ...data } }),
      exhausted: (svc, reason) => this.onServiceExhausted(svc.group, svc.onFail, reason),
    });
    this.guard = opts.guard === false ? null : new GuardFeed(opts.stateDir, (message, level) => this.emit({ kind: 'guard', level, message }));
    this.monitors = new MonitorRunner({
      now: () => this.clock.now(),
      onTransition: (t) => {
        if (t.to === 'failed') this.onCheckChange(t.id, true, t.reason);
        else if (t.from === 'failed' && t.to === 'healthy') this.onCheckChange(t.id, false, t.reason);
      },
    });
    this.executor = new Executor({
      clock: this.clock,
      groups: this.config.groups,
      agentFor: opts.agentFor,
      contextFor: (action, group, resource, signal) => this.contextFor(action.kind, action.kind === 'start' || action.kind === 'restart' ? action.epoch : 0, group, resource, signal),
      validLeaseEpoch: (g) => this.leases.validEpoch(g),
      runOther: (action, signal) => this.runOther(action, signal),
    });
    for (const g of this.config.groups) this.resources.set(g.name, {});
    this.channel.onReport = (from, report) => {
      this.mergeOperator(report.operator, from);
      this.notePeerState(from, report);
    };
    this.channel.onRefused = (from, reason) => this.log.warn({ from, reason }, 'heartbeat refused');
  }

  stateDirOf(group: string, resource: string): string {
    return join(this.opts.stateDir, 'resources', group, resource);
  }

  async start(): Promise<void> {
    await this.events.open();
    await this.loadOperator();
    await this.channel.open();
    this.guard?.start();
    this.emit({ kind: 'node.started', level: 'info', message: `node ${this.self} started (config ${this.hash.slice(0, 12)}, heartbeat ${this.intervalMs} ms, lease ttl ${this.config.arbiter.leaseTtl} ms, margin ${this.marginMs} ms)`, data: { configHash: this.hash, pid: process.pid, guardPid: this.guard?.pid ?? null } });
    this.expectedAt = this.clock.now();
    this.schedule(0);
    // A standby dates another node's last renewal by when it first SEES it; looking only
    // once a heartbeat would add up to a whole interval to every takeover.
    this.holderWatch = setInterval(() => void this.watchHolders(), Math.max(50, Math.floor(this.intervalMs / HOLDER_WATCH_DIVISOR)));
    this.holderWatch.unref();
  }

  /** Between ticks: re-reads the leases other nodes hold, and wakes when one will be free. */
  private async watchHolders(): Promise<void> {
    if (this.watching || this.ticking || this.shuttingDown) return;
    const others = this.config.groups.map((g) => g.name).filter((g) => {
      const holder = this.leases.status(g).holder;
      return holder !== null && holder !== this.self;
    });
    if (others.length === 0) return;
    this.watching = true;
    try {
      await this.leases.refreshHolders(others);
      this.wakeWhenLeaseFrees();
    } finally {
      this.watching = false;
    }
  }

  /** Graceful stop: stop every resource held here, release the leases, dismiss the guard. */
  async stop(reason = 'shutdown'): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.holderWatch) clearInterval(this.holderWatch);
    this.cycleAbort.abort();
    await this.cycle?.catch(() => undefined);
    await this.monitors.close();
    this.emit({ kind: 'node.stopping', level: 'info', message: `node ${this.self} stopping (${reason}): stopping its resources and releasing its leases` });
    const stops: Plan = { actions: this.config.groups.flatMap((g) => [...g.resources].reverse()
      .filter((r) => ['running', 'failed'].includes(this.resources.get(g.name)?.[r.name] ?? 'unknown'))
      .map((r) => ({ kind: 'stop' as const, group: g.name, resource: r.name, node: this.self, timeoutMs: r.timeouts.stop }))), reasons: [] };
    for (const a of stops.actions) this.apply(await this.executor.runOne(a, new AbortController().signal));
    await this.services.killAll();
    for (const r of await this.leases.releaseAll()) {
      this.emit({ kind: 'lease.released', level: r.ok ? 'info' : 'warning', group: r.group, message: `lease of ${r.group} (epoch ${r.epoch}) ${r.ok ? 'released' : 'could not be released (it expires on its own)'} by ${this.self} on shutdown`, data: { epoch: r.epoch } });
    }
    this.shutdown.abort();
    this.channel.close();
    this.emit({ kind: 'node.stopped', level: 'info', message: `node ${this.self} stopped` });
    await this.guard?.bye();
    await this.operatorWrite;
    await this.events.flush();
  }

  // ---- the loop -------------------------------------------------------------------------

  private schedule(delay: number): void {
    this.expectedAt = this.clock.now() + delay;
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  private async tick(): Promise<void> {
    if (this.shuttingDown) return;
    const now = this.clock.now();
    const lateBy = now - this.expectedAt;
    this.schedule(this.intervalMs);
    // Checked even while the previous tick is still awaiting the arbiter: a pause may have
    // caught it mid-renewal, and the next on-time tick would never notice.
    if (lateBy > this.marginMs && this.ticked) this.onPause(lateBy);
    if (this.ticking) return;
    this.ticking = true;
    try {
      this.ticked = true;
      this.recordLeaseChanges(this.leases.dropInvalid());
      this.feedGuard();
      this.channel.send(this.report());
      await Promise.all([
        this.opts.arbiter.heartbeat(this.self, AbortSignal.timeout(this.config.arbiter.leaseTtl)).catch(() => undefined),
        this.leases.renewAll().then((c) => this.recordLeaseChanges(c)),
      ]);
      this.recordLeaseChanges(this.leases.dropInvalid());
      this.feedGuard();
      this.observePeers();
      await this.leases.refreshHolders(this.config.groups.map((g) => g.name));
      this.wakeWhenLeaseFrees();
      this.syncMonitors();
      if (!this.cycle) {
        this.cycleAbort = new AbortController();
        this.cycle = this.runCycle(this.cycleAbort.signal).catch((err: unknown) => {
          this.emit({ kind: 'node.error', level: 'error', message: `cycle failed: ${(err as Error).message}` });
        }).finally(() => { this.cycle = null; });
      }
    } catch (err) {
      this.emit({ kind: 'node.error', level: 'error', message: `tick failed: ${(err as Error).message}` });
    } finally {
      this.ticking = false;
      if (this.wakePending) {
        this.wakePending = false;
        this.wakeAt(this.clock.now());
      }
    }
  }

  /**
   * Runs a tick at `atMs` (our clock) instead of at the next heartbeat, when that is sooner:
   * a peer released a lease or changed state, an operator asked for something, a lease is
   * about to free up. Safety does not depend on it (the lease does); only latency does.
   */
  private wakeAt(atMs: number): void {
    if (this.shuttingDown || !this.ticked) return;
    if (this.ticking) {
      if (atMs <= this.clock.now()) this.wakePending = true;
      else if (atMs < this.expectedAt) this.reschedule(atMs);
      return;
    }
    if (atMs < this.expectedAt) this.reschedule(atMs);
  }

  private reschedule(atMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.schedule(Math.max(0, atMs - this.clock.now()));
  }

  /**
   * A silent holder's lease frees up between heartbeats: look again at that instant (the
   * disk arbiter's own rule is "silent for more than ttl + margin", hence + 1).
   */
  private wakeWhenLeaseFrees(): void {
    const freeAt = this.leases.nextFreeAt();
    if (freeAt !== null) this.wakeAt(freeAt + 1);
  }

  private wake(): void {
    this.wakeAt(this.clock.now());
  }

  /** A peer whose resources, operator-visible flags or monitors changed: re-plan now. */
  private notePeerState(from: string, report: NodeReport): void {
    const groups = Object.fromEntries(Object.entries(report.groups ?? {}).map(([g, r]) => [g, r.resources]));
    const key = JSON.stringify([report.stopped, report.maintenance, report.failingMonitors, groups]);
    const before = this.peerStateKey.get(from);
    this.peerStateKey.set(from, key);
    if (before !== undefined && before !== key) this.wake();
  }

  /** We were paused (SIGSTOP, a stall): before anything else, judge every lease again. */
  private onPause(lateBy: number): void {
    this.emit({ kind: 'node.paused', level: 'warning', message: `loop woke ${Math.round(lateBy)} ms late: re-checking every lease before any action`, data: { lateMs: Math.round(lateBy) } });
    this.cycleAbort.abort();
    this.recordLeaseChanges(this.leases.dropInvalid());
    this.feedGuard();
  }

  view(): ClusterView {
    const peers = new Map<string, PeerInput>();
    for (const p of this.channel.peers.values()) {
      peers.set(p.name, { reachable: this.channel.isReachable(p.name, this.config.heartbeat.timeout), upSinceMs: p.upSinceMs, receivedAtMs: p.lastSeenMs, report: p.report });
    }
    return buildView({
      config: this.config, self: this.self, configHash: this.hash, nowMs: this.clock.now(), nowWall: Date.now(),
      me: { upSinceMs: this.startedAtMs, stopped: this.stopped, maintenance: this.maintenance, failingMonitors: this.failingNodeMonitors(),
        resources: this.resources, failures: this.failures, lastResults: this.lastResults },
      peers,
      lease: (g) => this.leases.status(g),
      operator: (g) => this.operatorOf(g),
    });
  }

  private async runCycle(signal: AbortSignal): Promise<void> {
    for (let round = 0; round < MAX_FOLLOW_UP_ROUNDS && !signal.aborted; round++) {
      const view = this.view();
      const plan = decide(view);
      const summary = summarizeCycle(view, plan);
      if (summary !== this.lastSummary) {
        this.lastSummary = summary;
        this.log.info({ cycle: summary }, 'cycle');
      }
      if (plan.actions.length === 0) return;
      this.emit({ kind: 'plan', level: 'info', message: plan.reasons.join('; ') || summary, data: { actions: plan.actions.length } });
      const results = await this.executor.run(plan, signal, (r) => this.apply(r));
      // Tell the peers now, not at the next heartbeat: a released lease or stopped resources
      // let the next node start at once (the planned move's gap).
      this.channel.send(this.report());
      // A lease just acquired (or probes just done under it) plans the starts now, not a
      // heartbeat later; anything else waits for the next tick as before.
      const progressed = results.some((r) => r.exec === 'done' && ((r.action.kind === 'acquire-lease' && r.rc === 0) || r.action.kind === 'probe'));
      if (!progressed) return;
    }
  }

  // ---- applying results -----------------------------------------------------------------

  private apply(r: ActionResult): void {
    const a = r.action;
    if (a.kind === 'probe' || a.kind === 'start' || a.kind === 'stop' || a.kind === 'restart') {
      const list = [...(this.lastResults.get(a.group) ?? []), r].slice(-MAX_RESULTS_KEPT);
      this.lastResults.set(a.group, list);
      const states = this.resources.get(a.group) ?? {};
      this.resources.set(a.group, states);
      const ok = r.exec === 'done' && r.rc === 0;
      const base = { group: a.group, resource: a.resource, data: { exec: r.exec, rc: r.rc, ...(a.kind === 'start' || a.kind === 'restart' ? { epoch: a.epoch } : {}) } };
      if (a.kind === 'probe') {
        const observed = r.observed ?? 'failed';
        if (states[a.resource] !== observed) this.emit({ ...base, kind: 'resource.probed', level: observed === 'failed' ? 'warning' : 'info', message: `${a.group}/${a.resource} is ${observed} here (${r.reason})` });
        states[a.resource] = observed;
      } else if (r.exec === 'cancelled') {
        if (r.reason.startsWith('cancelled:')) {
          // Never started: nothing changed.
        } else if (r.reason.startsWith('start refused')) {
          this.emit({ ...base, kind: 'resource.start-refused', level: 'warning', message: `${a.kind} of ${a.group}/${a.resource}: ${r.reason}` });
        } else {
          // Interrupted (pause, shutdown): what the agent got done is unknown; probe it again.
          states[a.resource] = 'unknown';
          this.emit({ ...base, kind: 'resource.cancelled', level: 'warning', message: `${a.kind} of ${a.group}/${a.resource} interrupted: ${r.reason}; its state will be probed` });
        }
      } else if (ok) {
        states[a.resource] = a.kind === 'stop' ? 'stopped' : 'running';
        const verb = a.kind === 'stop' ? 'stopped' : a.kind === 'restart' ? 'restarted' : 'started';
        this.emit({ ...base, kind: `resource.${verb}`, level: 'info', message: `${a.group}/${a.resource} ${verb} (${r.reason})` });
        if (a.kind === 'stop') void this.services.killGroup(a.group, a.resource);
      } else {
        states[a.resource] = 'failed';
        this.addFailure(a.group, { node: this.self, resource: a.resource, monitor: null, atMs: r.atMs });
        this.emit({ ...base, kind: 'resource.failed', level: 'error', message: `${a.kind} of ${a.group}/${a.resource} failed: ${r.exec}, rc ${r.rc}: ${r.reason}` });
      }
      this.noteGroupState(a.group);
      this.feedGuard();
    }
  }

  /** Emits group.started / group.stopped when the group as a whole changes state here. */
  private noteGroupState(group: string): void {
    const g = this.groupConfig(group);
    if (!g) return;
    const states = this.resources.get(group) ?? {};
    const allRunning = g.resources.length > 0 && g.resources.every((r) => states[r.name] === 'running');
    const noneRunning = g.resources.every((r) => states[r.name] !== 'running' && states[r.name] !== 'failed');
    const was = this.groupUp.get(group) ?? false;
    if (allRunning && !was) {
      this.groupUp.set(group, true);
      const event = this.startEvent.get(group) ?? 'START';
      const epoch = this.leases.validEpoch(group);
      this.emit({ kind: event === 'FAILOVER' ? 'group.failover' : 'group.started', level: 'info', group, message: `group ${group} is running on ${this.self} (epoch ${epoch ?? '?'}, ${event})`, data: { epoch, event } });
    } else if (noneRunning && was) {
      this.groupUp.set(group, false);
      void this.services.killGroup(group);
      this.emit({ kind: 'group.stopped', level: 'info', group, message: `group ${group} is stopped on ${this.self}` });
    }
  }

  private addFailure(group: string, f: Failure): void {
    this.failures.set(group, [...(this.failures.get(group) ?? []), f].slice(-MAX_FAILURES_KEPT));
  }

  private async runOther(action: Exclude<ActionResult['action'], { kind: 'probe' | 'start' | 'stop' | 'restart' }>, signal: AbortSignal): Promise<ActionResult> {
    const done = (rc: number, reason: string): ActionResult => ({ action, exec: 'done', rc, reason, atMs: this.clock.now() });
    switch (action.kind) {
      case 'acquire-lease': {
        // No lease without self-fencing: a daemon whose guard is down takes nothing new.
        if (this.guard && !this.guard.alive) return done(1, 'lease not acquired: the self-fencing guard is not running (it is being restarted)');
        const r = await this.leases.acquire(action.group, signal);
        if (!r.ok) return done(1, `lease not acquired: ${r.reason}`);
        const event: StartEvent = r.from && r.from !== this.self ? 'FAILOVER' : 'START';
        this.startEvent.set(action.group, event);
        this.emit({ kind: 'lease.acquired', level: 'info', group: action.group, message: `lease of ${action.group} acquired by ${this.self} (epoch ${r.epoch}${r.from && r.from !== this.self ? `, previously ${r.from}` : ''})`, data: { epoch: r.epoch, event } });
        this.feedGuard();
        return done(0, `acquired epoch ${r.epoch}`);
      }
      case 'release-lease': {
        const ok = await this.leases.release(action.group, action.epoch);
        this.emit({ kind: 'lease.released', level: 'info', group: action.group, message: `lease of ${action.group} (epoch ${action.epoch}) released by ${this.self}`, data: { epoch: action.epoch } });
        this.feedGuard();
        return done(0, ok ? 'released' : 'not held any more');
      }
      case 'clear-move-request': {
        const op = this.operatorOf(action.group);
        this.setOperator(action.group, { ...op, moveTo: null, moveAtWall: null });
        return done(0, 'move request cleared');
      }
      case 'stop-node':
        this.stopped = true;
        this.emit({ kind: 'node.stop-node', level: 'error', message: `cluster service stopped on ${this.self}: ${action.reason}` });
        return done(0, 'cluster service stopped');
      case 'reboot':
        this.stopped = true;
        this.emit({ kind: 'node.reboot', level: 'error', message: `reboot requested on ${this.self}: ${action.reason}${this.opts.allowReboot ? '' : ' (not performed: start the node with --allow-reboot; the cluster service is stopped instead)'}` });
        if (this.opts.allowReboot) {
          const { spawn } = await import('node:child_process');
          spawn('systemctl', ['reboot'], { stdio: 'ignore', detached: true }).unref();
        }
        return done(0, 'reboot');
    }
  }

  private recordLeaseChanges(changes: readonly { group: string; kind: string; epoch: number; reason: string }[]): void {
    for (const c of changes) {
      const level = c.kind === 'lost' ? 'error' : 'warning';
      this.emit({ kind: `lease.${c.kind}`, level, group: c.group, message: `lease of ${c.group} (epoch ${c.epoch}) ${c.kind} on ${this.self}: ${c.reason}`, data: { epoch: c.epoch } });
      if (c.kind === 'lost') this.cycleAbort.abort();
    }
  }

  // ---- agents ---------------------------------------------------------------------------

  private contextFor(kind: string, epoch: number, group: GroupConfig, resource: ResourceConfig, signal: AbortSignal): AgentContext {
    const priority = group.nodes.indexOf(this.self) + 1;
    const volumeFailed = group.resources.some((r) => r.type === 'volume' && this.resources.get(group.name)?.[r.name] === 'failed');
    return {
      cluster: this.config.cluster.name,
      node: this.self,
      group,
      resource,
      epoch,
      event: kind === 'restart' ? 'RECOVER' : (this.startEvent.get(group.name) ?? 'START'),
      server: priority === 1 ? 'HOME' : 'OTHER',
      priority: priority > 0 ? priority : group.nodes.length + 1,
      disk: volumeFailed ? 'FAILURE' : 'SUCCESS',
      stateDir: this.stateDirOf(group.name, resource.name),
      log: (line) => this.emit({ kind: 'script.output', level: 'info', group: group.name, resource: resource.name, message: line.slice(0, 2_000) }),
      signal,
      peers: new ChannelPeerFiles(this.config, this.self, (n) => this.channel.isReachable(n, this.config.heartbeat.timeout),
        async (node, msg, sig) => {
          const r = await this.call(node, 'POST', '/peer/file', msg, 30_000, sig);
          return r.ok ? { ok: true, reason: 'written' } : { ok: false, reason: r.reason };
        }),
    };
  }

  // ---- monitors -------------------------------------------------------------------------

  /** The monitors that should run now: node monitors always, resource monitors of running, held, unsuspended resources. */
  private wantedMonitors(): Map<string, () => MonitorSpec> {
    const wanted = new Map<string, () => MonitorSpec>();
    for (const m of this.config.nodeMonitors) wanted.set(`n:${m.name}`, () => nodeMonitorSpec(`n:${m.name}`, m));
    for (const g of this.config.groups) {
      if (this.leases.validEpoch(g.name) === null) continue;
      const op = this.operatorOf(g.name);
      for (const r of g.resources) {
        // A failed resource's monitors stop; after its restart they start afresh.
        if (this.resources.get(g.name)?.[r.name] !== 'running' || op.suspended.includes(r.name)) continue;
        for (const m of r.monitors) {
          const id = `r:${g.name}/${r.name}/${m.name}`;
          wanted.set(id, () => resourceMonitorSpec(id, m, (signal) => this.opts.agentFor(r).monitor(this.contextFor('monitor', 0, g, r, signal))));
        }
      }
    }
    return wanted;
  }

  private syncMonitors(): void {
    const wanted = this.wantedMonitors();
    for (const id of this.activeMonitors) {
      if (!wanted.has(id)) { this.activeMonitors.delete(id); void this.monitors.remove(id); }
    }
    for (const [id, make] of wanted) {
      if (this.activeMonitors.has(id)) continue;
      this.activeMonitors.add(id);
      this.monitors.add(make());
    }
  }

  private monitorFailing(id: string): boolean {
    return this.monitors.snapshot(id)?.health === 'failed';
  }

  private failingNodeMonitors(): string[] {
    return this.config.nodeMonitors.filter((m) => this.monitorFailing(`n:${m.name}`)).map((m) => m.name);
  }

  private onCheckChange(key: string, failing: boolean, detail: string): void {
    if (key.startsWith('n:')) {
      this.emit({ kind: failing ? 'monitor.fell' : 'monitor.rose', level: failing ? 'error' : 'info', message: `node monitor ${key.slice(2)} on ${this.self}: ${detail}` });
      return;
    }
    const [group, resource, monitor] = key.slice(2).split('/') as [string, string, string];
    this.emit({ kind: failing ? 'monitor.fell' : 'monitor.rose', level: failing ? 'error' : 'info', group, resource, message: `monitor ${monitor} of ${group}/${resource} on ${this.self}: ${detail}`, data: { monitor } });
    if (!failing || this.operatorOf(group).suspended.includes(resource)) return;
    const states = this.resources.get(group);
    if (states && states[resource] === 'running') {
      states[resource] = 'failed';
      this.addFailure(group, { node: this.self, resource, monitor, atMs: this.clock.now() });
    }
  }

  // ---- peers and operator state ---------------------------------------------------------

  private report(): NodeReport {
    const now = this.clock.now();
    const groups: Record<string, NodeReport['groups'][string]> = {};
    for (const g of this.config.groups) {
      groups[g.name] = {
        resources: { ...this.resources.get(g.name) },
        failures: (this.failures.get(g.name) ?? []).slice(-20).map((f) => ({ resource: f.resource, monitor: f.monitor, ageMs: Math.max(0, Math.round(now - f.atMs)) })),
      };
    }
    const operator: Record<string, OperatorState> = {};
    for (const [g, op] of this.operator) operator[g] = op;
    const hears = [...this.channel.peers.keys()].filter((p) => this.channel.isReachable(p, this.config.heartbeat.timeout));
    return { configHash: this.hash, stopped: this.stopped, maintenance: this.maintenance, failingMonitors: this.failingNodeMonitors(), hears, groups, operator };
  }

  private observePeers(): void {
    const before = new Map(this.wasReachable);
    this.channel.refresh(this.config.heartbeat.timeout, this.wasReachable);
    for (const [name, now] of this.wasReachable) {
      const was = before.get(name) ?? false;
      if (now && !was) this.emit({ kind: 'node.joined', level: 'info', subject: name, message: `node ${name} is reachable` });
      if (!now && was) this.emit({ kind: 'node.lost', level: 'warning', subject: name, message: `node ${name} is unreachable (no heartbeat for ${this.config.heartbeat.timeout} ms)` });
      const rep = this.channel.peers.get(name)?.report;
      if (now && rep && rep.configHash !== this.hash && !this.hashWarned.has(name)) {
        this.hashWarned.add(name);
        this.emit({ kind: 'config.mismatch', level: 'error', subject: name, message: `node ${name}'s configuration differs from ours (${rep.configHash.slice(0, 12)} vs ${this.hash.slice(0, 12)}): it may not run groups; see tandem status` });
      } else if (rep && rep.configHash === this.hash) this.hashWarned.delete(name);
    }
  }

  operatorOf(group: string): OperatorState {
    return this.operator.get(group) ?? NO_OPERATOR_STATE;
  }

  /** Records an operator change and pushes it to every reachable peer at once (gossip covers the rest). */
  setOperator(group: string, next: Omit<OperatorState, 'version'>): OperatorState {
    const prev = this.operatorOf(group);
    const state: OperatorState = { ...next, version: { wall: Math.max(Date.now(), prev.version.wall + 1), node: this.self } };
    this.operator.set(group, state);
    this.saveOperator();
    this.wake();
    for (const p of this.channel.peers.keys()) {
      if (this.channel.isReachable(p, this.config.heartbeat.timeout)) void this.call(p, 'POST', '/peer/operator', { group, state }, 2_000);
    }
    return state;
  }

  mergeOperator(states: Readonly<Record<string, OperatorState>> | undefined, from: string): void {
    if (!states || typeof states !== 'object') return;
    for (const [g, s] of Object.entries(states)) {
      if (!this.groupConfig(g) || !isOperatorState(s)) continue;
      const cur = this.operatorOf(g);
      if (isNewer(s, cur)) {
        this.operator.set(g, s);
        this.saveOperator();
        this.wake();
        if (s.version.node !== this.self && (s.request !== cur.request || s.moveTo !== cur.moveTo || s.suspended.join() !== cur.suspended.join())) {
          this.emit({ kind: 'group.request', level: 'info', group: g, message: `operator request for ${g} from ${s.version.node} (via ${from}): ${describeOperator(s)}` });
        }
      }
    }
  }

  /**
   * Operator requests survive a restart of every node at once (a stopped group stays
   * stopped): kept durably in STATE/operator.json, written in order, newest last.
   */
  private saveOperator(): void {
    const data = JSON.stringify(Object.fromEntries(this.operator));
    this.operatorWrite = this.operatorWrite.then(() => replaceFileDurable(join(this.opts.stateDir, 'operator.json'), data)).catch((err: unknown) => {
      this.log.warn({ err: String(err) }, 'cannot save operator requests');
    });
  }

  private async loadOperator(): Promise<void> {
    const text = await readFile(join(this.opts.stateDir, 'operator.json'), 'utf8').catch(() => null);
    if (text === null) return;
    try {
      this.mergeOperator(JSON.parse(text) as Record<string, OperatorState>, this.self);
    } catch {
      this.emit({ kind: 'node.error', level: 'warning', message: 'operator.json is unreadable; starting without saved operator requests' });
    }
  }

  groupConfig(name: string): GroupConfig | undefined {
    return this.config.groups.find((g) => g.name === name);
  }

  /** A signed RPC to a peer, at the address its heartbeats come from. */
  call<T>(node: string, method: 'GET' | 'POST', path: string, body: unknown, timeoutMs: number, signal?: AbortSignal): Promise<RpcResult<T>> {
    const target = targetOf(this.config, node, this.channel.peers.get(node)?.address);
    if (!target) return Promise.resolve({ ok: false, status: 0, reason: `unknown node ${node}` });
    return rpc<T>(this.keys, this.self, target, method, path, body, timeoutMs, signal);
  }

  emit(input: EventInput): void {
    const e = this.events.emit(input);
    // The `log` alert sink writes every event to the log; here only at debug level, so a
    // config without that sink can still see them (TANDEM_LOG_LEVEL=debug).
    this.log.debug({ event: e.kind, group: e.group, resource: e.resource, seq: e.seq, level: e.level }, e.message);
  }

  // ---- operator actions used by the API -------------------------------------------------

  isStopped(): boolean { return this.stopped; }

  setStopped(stopped: boolean, why: string): void {
    if (this.stopped === stopped) return;
    this.stopped = stopped;
    this.emit({ kind: stopped ? 'node.cluster-stopped' : 'node.cluster-started', level: 'info', message: `cluster service on ${this.self} ${stopped ? 'stopped: it takes no groups and hands its groups over' : 'started: it takes groups again'} (${why})` });
  }

  private onServiceExhausted(group: string, onFail: 'failover' | 'stop-node' | 'none', reason: string): void {
    if (onFail === 'stop-node') return this.setStopped(true, reason);
    if (onFail === 'failover') {
      const to = failoverTarget(this, group);
      if (!to.ok) {
        this.emit({ kind: 'group.failover-refused', level: 'error', group, message: `${reason}; no failover: ${to.reason}` });
        return;
      }
      this.setOperator(group, { ...this.operatorOf(group), moveTo: to.node, moveAtWall: Date.now() });
      this.emit({ kind: 'group.failover-requested', level: 'warning', group, message: `${reason}; group ${group} fails over to ${to.node}` });
    }
  }

  refreshGuard(): void {
    this.feedGuard();
  }

  /** What the guard must stop if we die: everything of the groups we hold (or held and may still run). */
  private feedGuard(): void {
    if (!this.guard) return;
    const deadline = this.leases.earliestDeadline();
    const vips: { address: string; prefix: number; interface?: string }[] = [];
    const volumes: { path: string; device?: string }[] = [];
    const pidDirs: string[] = [];
    for (const g of this.config.groups) {
      const states = this.resources.get(g.name) ?? {};
      // A held group counts whole, before its starts run: the guard must know a resource
      // before it exists, or a daemon that dies mid-start leaves it behind.
      const held = this.leases.validUntil(g.name) !== null;
      for (const r of g.resources) {
        const st = states[r.name];
        if (!held && st !== 'running' && st !== 'failed') continue;
        pidDirs.push(this.stateDirOf(g.name, r.name));
        if (r.type === 'vip') vips.push({ address: r.params.address, prefix: r.params.prefix, ...(r.params.interface ? { interface: r.params.interface } : {}) });
        if (r.type === 'volume') volumes.push({ path: r.params.path, ...(r.params.device ? { device: r.params.device } : {}) });
      }
    }
    // The guard's clock is CLOCK_MONOTONIC; ours is performance.now(): translate the deadline.
    const offset = sharedMonotonicMs() - this.clock.now();
    const msg: GuardMessage = { t: 'state', deadline: deadline === null ? null : Math.floor(deadline + offset), pgids: this.services.pgids(), pidDirs, vips, volumes };
    this.guard.send(msg);
  }

  status(): Record<string, unknown> {
    return statusReport(this);
  }

  /** The last cycle's one-line summary. */
  get summary(): string {
    return this.lastSummary;
  }

  get isMaintenance(): boolean {
    return this.maintenance;
  }

  isMonitorFailing(id: string): boolean {
    return this.monitorFailing(id);
  }

  receiveBroadcast(text: string, from: string): void {
    this.emit({ kind: 'broadcast', level: 'warning', message: text, data: { from } });
  }

  fileMessageOk(msg: unknown): msg is FileMessage {
    return typeof msg === 'object' && msg !== null && typeof (msg as FileMessage).path === 'string';
  }

  /**
   * S16 (`tandem svc restart` of a resource, operations.ts): stops and starts a running
   * resource in place through its agent, so readiness is checked, once the cycle in
   * progress is over. The caller suspends its monitors around it; a failed start is
   * recorded like any other failure and the recovery policy takes it from there.
   */
  async restartInPlace(group: string, resource: string): Promise<ActionResult> {
    const r = this.groupConfig(group)?.resources.find((x) => x.name === resource);
    const epoch = this.leases.validEpoch(group);
    if (!r || epoch === null || this.resources.get(group)?.[resource] !== 'running') throw new Error(`${group}/${resource} is not running on ${this.self}`);
    this.syncMonitors();
    for (let i = 0; i < 3 && this.cycle; i++) await this.cycle;
    const result = await this.executor.runOne({ kind: 'restart', group, resource, node: this.self, epoch, timeoutMs: Math.max(r.timeouts.stop, r.timeouts.start) }, this.shutdown.signal);
    this.apply(result);
    return result;
  }
}

export function describeOperator(s: OperatorState): string {
  const parts = [`request ${s.request}`];
  if (s.moveTo) parts.push(`move to ${s.moveTo}`);
  if (s.suspended.length > 0) parts.push(`monitors suspended: ${s.suspended.join(', ')}`);
  return parts.join(', ');
}

function isOperatorState(s: unknown): s is OperatorState {
  const o = s as OperatorState | null;
  return typeof o === 'object' && o !== null && ['none', 'start', 'stop'].includes(o.request)
    && (o.moveTo === null || typeof o.moveTo === 'string') && (o.moveAtWall === null || typeof o.moveAtWall === 'number')
    && Array.isArray(o.suspended) && o.suspended.every((x) => typeof x === 'string')
    && typeof o.version?.wall === 'number' && typeof o.version.node === 'string';
}
