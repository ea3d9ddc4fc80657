// Resource agents for the cluster integration tests (loaded by `tandem node start --agents`):
// - `script`: a marker file in params.env.MARKER_DIR names who runs it; every start and stop
//   is appended to MARKER_DIR/history.jsonl; a file `<resource>.<node>.fail` there makes
//   its monitor fail (the test's way to break a resource);
// - `service`: a real process in its own process group, pid file in the agent's state dir;
// - `vip`: a real address on `lo` with `ip addr` (needs root).
// Everything else is delegated to the built-in agents.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OCF, type AgentContext, type AgentOutcome, type ResourceAgent } from '../../src/cluster/agents/agent.ts';
import type { ResourceConfig } from '../../src/cluster/model/config-schema.ts';

const ok = (reason: string): AgentOutcome => ({ rc: OCF.SUCCESS, reason });
const notRunning = (reason: string): AgentOutcome => ({ rc: OCF.NOT_RUNNING, reason });

function record(dir: string, ctx: AgentContext, op: string): void {
  appendFileSync(join(dir, 'history.jsonl'), `${JSON.stringify({ wall: Date.now(), node: ctx.node, group: ctx.group.name, resource: ctx.resource.name, op, epoch: ctx.epoch, event: ctx.event, server: ctx.server, priority: ctx.priority })}\n`);
}

function markerAgent(resource: Extract<ResourceConfig, { type: 'script' }>): ResourceAgent {
  const dir = resource.params.env.MARKER_DIR ?? '/nonexistent';
  const marker = (ctx: AgentContext): string => join(dir, `${ctx.group.name}.${resource.name}.${ctx.node}`);
  return {
    validate: async () => (existsSync(dir) ? ok('marker dir exists') : { rc: OCF.ERR_CONFIGURED, reason: `no ${dir}` }),
    async start(ctx) {
      const delay = Number(resource.params.env.START_DELAY_MS ?? 0);
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      writeFileSync(marker(ctx), JSON.stringify({ epoch: ctx.epoch, event: ctx.event }));
      record(dir, ctx, 'start');
      return ok(`marker written (epoch ${ctx.epoch}, ${ctx.event})`);
    },
    async stop(ctx) {
      rmSync(marker(ctx), { force: true });
      record(dir, ctx, 'stop');
      return ok('marker removed');
    },
    async monitor(ctx) {
      if (!existsSync(marker(ctx))) return notRunning('no marker');
      if (existsSync(join(dir, `${resource.name}.${ctx.node}.fail`))) return { rc: OCF.ERR_GENERIC, reason: 'told to fail' };
      return ok('marker present');
    },
  };
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

function serviceAgent(resource: Extract<ResourceConfig, { type: 'service' }>): ResourceAgent {
  const pidFile = (ctx: AgentContext): string => join(ctx.stateDir, `${resource.name}.pid`);
  const pidOf = (ctx: AgentContext): number | null => {
    try { const n = Number(readFileSync(pidFile(ctx), 'utf8')); return Number.isInteger(n) && n > 1 && alive(n) ? n : null; } catch { return null; }
  };
  return {
    validate: async () => ok('ok'),
    async start(ctx) {
      if (pidOf(ctx)) return ok('already running');
      mkdirSync(ctx.stateDir, { recursive: true });
      const [cmd, ...args] = resource.params.command;
      const child = spawn(cmd!, args, { detached: true, stdio: 'ignore' });
      child.unref();
      writeFileSync(pidFile(ctx), String(child.pid));
      return ok(`pid ${child.pid}`);
    },
    async stop(ctx) {
      const pid = pidOf(ctx);
      if (pid) {
        try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
        for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
      }
      rmSync(pidFile(ctx), { force: true });
      return ok('stopped');
    },
    async monitor(ctx) {
      return pidOf(ctx) ? ok('running') : notRunning('not running');
    },
  };
}

function hasAddress(address: string): boolean {
  const r = spawnSync('ip', ['-o', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' });
  return r.stdout.split('\n').some((l) => l.includes(` ${address}/`));
}

function vipAgent(resource: Extract<ResourceConfig, { type: 'vip' }>): ResourceAgent {
  const { address } = resource.params;
  const ip = (verb: 'add' | 'del'): AgentOutcome => {
    const r = spawnSync('ip', ['addr', verb, `${address}/32`, 'dev', 'lo'], { encoding: 'utf8' });
    return r.status === 0 ? ok(`${verb} ${address}`) : { rc: OCF.ERR_GENERIC, reason: r.stderr.trim() };
  };
  return {
    validate: async () => ok('ok'),
    start: async () => (hasAddress(address) ? ok('present') : ip('add')),
    stop: async () => (hasAddress(address) ? ip('del') : ok('absent')),
    monitor: async () => (hasAddress(address) ? ok('present') : notRunning('absent')),
  };
}

export function agentFor(resource: ResourceConfig): ResourceAgent {
  switch (resource.type) {
    case 'script': return markerAgent(resource);
    case 'service': return serviceAgent(resource);
    case 'vip': return vipAgent(resource);
    default: throw new Error(`the test agents have no ${resource.type} agent`);
  }
}
