// The `service` agent: one supervised long-running process (a mail service). Spawned in
// its own process group under `setpriv --pdeathsig KILL` so it dies with the daemon; its
// output goes to the event log; started means READY (S15): its readyPort accepts a TCP
// connection, or it printed a TANDEM-READY line. Restarts are the policy's decision.
import { spawn, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { OCF, type AgentContext, type AgentOutcome, type ResourceAgent } from './agent.ts';
import { asType, checkExecutable, clusterEnv, failed, findInPath, notRunning, outcome, readState, removeState, sleep, statePath, success, writeState } from './_common.ts';
import { killGroup, lineSplitter } from './run-command.ts';
import { isSameProcess, procInfo, terminateGroup } from './_process.ts';
import { tcpProbe } from '../monitor/probes.ts';
import type { ResourceConfig } from '../model/config-schema.ts';

/** The line mail services print once every listener is bound (src/mail/serve/run-service.ts). */
export const READY_LINE_PREFIX = 'TANDEM-READY';

interface ServiceState {
  readonly pid: number;
  readonly startTicks: number;
  readonly command: readonly string[];
  readonly startedAt: string;
}

/** Children this daemon spawned, for their exit status (a crash reason beats "pid gone"). */
const exits = new Map<string, { code: number | null; signal: NodeJS.Signals | null; lastLine: string }>();

/** Hosts the ready port is checked on: the group's VIPs (services bind there, S14), else loopback. */
export function readyHosts(ctx: AgentContext): string[] {
  const vips = ctx.group.resources.flatMap((r) => (r.type === 'vip' ? [r.params.address] : []));
  return vips.length > 0 ? vips : ['127.0.0.1'];
}

async function programOk(program: string): Promise<string | null> {
  if (isAbsolute(program)) return checkExecutable('program', program);
  return (await findInPath(program)) ? null : `program ${program} is not in PATH`;
}

export function serviceAgent(resource: ResourceConfig): ResourceAgent {
  const r = asType(resource, 'service');
  const p = r.params;
  const program = p.command[0] as string;
  const stateFile = (ctx: AgentContext) => statePath(ctx, 'service.json');
  const pidFile = (ctx: AgentContext) => statePath(ctx, 'pid');
  const key = (ctx: AgentContext) => `${ctx.stateDir}\0${ctx.group.name}\0${ctx.resource.name}`;

  async function validate(): Promise<AgentOutcome> {
    const bad = await programOk(program);
    if (bad) return outcome(OCF.ERR_INSTALLED, bad);
    if (p.cwd !== undefined) {
      if (!isAbsolute(p.cwd)) return outcome(OCF.ERR_CONFIGURED, `cwd ${p.cwd} is not absolute`);
      const s = await stat(p.cwd).catch(() => null);
      if (!s?.isDirectory()) return outcome(OCF.ERR_INSTALLED, `cwd ${p.cwd} is not a directory on this node`);
    }
    return success(`${p.command.join(' ')} can run`);
  }

  /** Our process, if the state file names one that is still it. */
  async function running(ctx: AgentContext): Promise<{ state: ServiceState; alive: boolean; why: string } | null> {
    const state = await readState<ServiceState>(stateFile(ctx));
    if (!state) return null;
    const same = await isSameProcess(state.pid, state.startTicks);
    return { state, alive: same.ok, why: same.why };
  }

  async function portAnswers(ctx: AgentContext, port: number, signal: AbortSignal): Promise<string | null> {
    for (const host of readyHosts(ctx)) {
      const res = await tcpProbe(host, port)(signal);
      if (res.ok) return res.reason;
    }
    return null;
  }

  return {
    validate: () => validate(),

    async start(ctx) {
      const valid = await validate();
      if (valid.rc !== OCF.SUCCESS) return valid;
      const current = await running(ctx);
      if (current?.alive) return success(`already running (pid ${current.state.pid})`);

      const pdeath = await findInPath('setpriv');
      if (!pdeath) ctx.log('setpriv (util-linux) is not installed: the service will not die with the daemon');
      const argv = pdeath ? [pdeath, '--pdeathsig', 'KILL', '--', ...p.command] : [...p.command];
      let child: ChildProcess;
      try {
        child = spawn(argv[0] as string, argv.slice(1), {
          cwd: p.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, ...clusterEnv(ctx, 'start', p.env) },
        });
      } catch (err) {
        return failed(`cannot start ${program}: ${(err as Error).message}`);
      }
      const k = key(ctx);
      exits.delete(k);
      let lastLine = '';
      let readyLine = false;
      let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
      let spawnError: string | null = null;
      const onLine = (prefix: string) => (line: string) => {
        lastLine = line;
        if (!prefix && line.startsWith(READY_LINE_PREFIX)) readyLine = true;
        ctx.log(`${prefix}${line}`);
      };
      const out = lineSplitter(onLine(''));
      const err = lineSplitter(onLine('stderr: '));
      child.stdout?.on('data', (c: Buffer) => out.push(c));
      child.stderr?.on('data', (c: Buffer) => err.push(c));
      child.once('error', (e) => { spawnError = e.message; });
      child.once('exit', (code, signal) => {
        out.end();
        err.end();
        exited = { code, signal };
        exits.set(k, { code, signal, lastLine });
      });
      // Wait for the pid (spawn errors arrive asynchronously).
      if (child.pid === undefined) {
        await sleep(50);
        return failed(`cannot start ${program}: ${spawnError ?? 'no pid'}`);
      }
      const pid = child.pid;
      const info = await procInfo(pid);
      const state: ServiceState = { pid, startTicks: info?.startTicks ?? -1, command: p.command, startedAt: new Date().toISOString() };
      await writeState(stateFile(ctx), state);
      await writeState(pidFile(ctx), pid);

      const deadline = Date.now() + r.timeouts.start;
      const probeAbort = new AbortController();
      const stopProbe = () => probeAbort.abort();
      ctx.signal.addEventListener('abort', stopProbe, { once: true });
      try {
        for (;;) {
          const ended = exited as { code: number | null; signal: NodeJS.Signals | null } | null;
          if (ended) {
            await removeState(stateFile(ctx));
            await removeState(pidFile(ctx));
            const how = ended.signal ? `was killed by ${ended.signal}` : `exited ${ended.code}`;
            return failed(`${program} ${how} before it was ready${lastLine ? `: ${lastLine}` : ''}`);
          }
          const ready = p.readyPort !== undefined ? await portAnswers(ctx, p.readyPort, probeAbort.signal) : readyLine ? lastLine.slice(0, 200) : null;
          if (ready) return success(`pid ${pid} ready: ${ready}`);
          if (ctx.signal.aborted || Date.now() >= deadline) {
            const how = await terminateGroup(pid, state.startTicks, 2_000);
            await removeState(stateFile(ctx));
            await removeState(pidFile(ctx));
            const what = p.readyPort !== undefined ? `port ${p.readyPort} did not answer on ${readyHosts(ctx).join(', ')}` : `no ${READY_LINE_PREFIX} line`;
            return failed(`${program} not ready within ${r.timeouts.start}ms (${what}); stopped it (${how})`);
          }
          await sleep(100, ctx.signal);
        }
      } finally {
        ctx.signal.removeEventListener('abort', stopProbe);
      }
    },

    async stop(ctx) {
      const current = await running(ctx);
      if (!current) return success(`${program} is not running`);
      let how = 'gone';
      if (current.alive) {
        const grace = Math.max(1_000, Math.floor(r.timeouts.stop / 2));
        how = await terminateGroup(current.state.pid, current.state.startTicks, grace, ctx.signal);
        if (how === 'stuck') return failed(`pid ${current.state.pid} survived SIGKILL (uninterruptible I/O?)`);
      } else if (!(await procInfo(current.state.pid))) {
        // The leader died on its own; children left in its group go with it. Only when no
        // process has that pid: a reused pid may lead an unrelated group of the same id.
        killGroup(current.state.pid, 'SIGKILL');
      }
      await removeState(stateFile(ctx));
      await removeState(pidFile(ctx));
      const verb = how === 'term' ? 'stopped by SIGTERM' : how === 'kill' ? 'killed by SIGKILL after the grace period' : 'had already exited';
      return success(`${program} (pid ${current.state.pid}) ${verb}`);
    },

    async monitor(ctx) {
      const current = await running(ctx);
      if (!current) return notRunning(`${program} is not running`);
      if (!current.alive) {
        const e = exits.get(key(ctx));
        const how = e ? (e.signal ? `was killed by ${e.signal}` : `exited ${e.code}`) + (e.lastLine ? `: ${e.lastLine}` : '') : current.why;
        return failed(`${program} (pid ${current.state.pid}) ${how}`);
      }
      if (p.readyPort !== undefined) {
        const where = await portAnswers(ctx, p.readyPort, ctx.signal);
        if (!where) return failed(`pid ${current.state.pid} runs but port ${p.readyPort} does not answer on ${readyHosts(ctx).join(', ')}`);
        return success(`pid ${current.state.pid} running, ${where}`);
      }
      return success(`pid ${current.state.pid} running`);
    },
  };
}
