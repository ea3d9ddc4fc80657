// Runs one external program for an agent or a probe: its own process group, env and cwd,
// output lines to a log function, a timeout and an AbortSignal that kill the WHOLE group
// (SIGTERM, then SIGKILL after a grace period, as keepalived does). Never throws for a
// program that fails: the outcome (exit code, signal, timeout, spawn error) is a value.
import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';

/** Longest line passed to `log`; longer lines are cut so a runaway program cannot fill memory. */
export const MAX_LINE = 4096;
/** Lines kept in `RunResult.output` (the newest ones). */
export const KEPT_LINES = 200;

export interface RunOptions {
  /** Program path or a name looked up in PATH. */
  readonly command: string;
  readonly args?: readonly string[];
  /** Added to (and overriding) the parent's environment unless `cleanEnv` is set. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cleanEnv?: boolean;
  readonly cwd?: string;
  /** Kill the process group after this long (none by default: rely on `signal`). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Time between SIGTERM and SIGKILL (default 5 s). */
  readonly graceMs?: number;
  /** Each output line (stdout and stderr, stderr lines prefixed "stderr: "). */
  readonly log?: (line: string) => void;
  /** Written to stdin, which is then closed; stdin is /dev/null otherwise. */
  readonly input?: string;
}

export interface RunResult {
  /** Exit code, or null when the program died from a signal or never ran. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Killed because `timeoutMs` passed. */
  readonly timedOut: boolean;
  /** Killed because `signal` fired. */
  readonly aborted: boolean;
  /** Could not start: ENOENT, EACCES... (code and signal are null). */
  readonly spawnError: string | null;
  /** The last KEPT_LINES output lines (stdout and stderr interleaved as they came). */
  readonly output: readonly string[];
  readonly stdout: string;
}

/** True when the program ran and exited 0. */
export function succeeded(r: RunResult): boolean {
  return r.code === 0 && !r.timedOut && !r.aborted && r.spawnError === null;
}

/** One line for reasons: "exit 1: <last line>", "killed by SIGKILL after timeout 3000ms", "not found: foo". */
export function describeRun(name: string, r: RunResult, timeoutMs?: number): string {
  const last = r.output.length > 0 ? `: ${r.output[r.output.length - 1]}` : '';
  if (r.spawnError) return `${name} could not run (${r.spawnError})`;
  if (r.timedOut) return `${name} timed out${timeoutMs ? ` after ${timeoutMs}ms` : ''} and was killed${last}`;
  if (r.aborted) return `${name} was cancelled and killed${last}`;
  if (r.signal) return `${name} died from ${r.signal}${last}`;
  return `${name} exited ${r.code}${last}`;
}

/** Splits a byte stream into bounded lines (MAX_LINE); `end` flushes a last unterminated line. */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer): void; end(): void } {
  let pending = '';
  let dropping = false;
  // A UTF-8 character may be split across chunks: decode statefully.
  const decoder = new StringDecoder('utf8');
  return {
    push(chunk) {
      pending += decoder.write(chunk);
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).replace(/\r$/, '');
        pending = pending.slice(nl + 1);
        if (!dropping) onLine(line.slice(0, MAX_LINE));
        dropping = false;
      }
      if (pending.length > MAX_LINE) {
        if (!dropping) onLine(`${pending.slice(0, MAX_LINE)} [line cut]`);
        dropping = true;
        pending = '';
      }
    },
    end() {
      pending += decoder.end();
      if (pending.length > 0 && !dropping) onLine(pending);
      pending = '';
    },
  };
}

/** Sends `sig` to the process group led by `pid`; false when it is gone. */
export function killGroup(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Most of stdout kept for callers that parse it (ip -j, meta-data). */
const MAX_STDOUT = 1 << 20;

/**
 * Runs a program to completion (or until killed) and reports how it ended.
 * @example
 *   const r = await runCommand({ command: 'ip', args: ['-j', 'addr'], signal, timeoutMs: 5000 });
 *   if (!succeeded(r)) return { rc: OCF.ERR_GENERIC, reason: describeRun('ip addr', r) };
 */
export function runCommand(opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    const output: string[] = [];
    let stdout = '';
    const keep = (line: string) => {
      output.push(line);
      if (output.length > KEPT_LINES) output.shift();
      opts.log?.(line);
    };
    if (opts.signal?.aborted) {
      resolve({ code: null, signal: null, timedOut: false, aborted: true, spawnError: null, output, stdout });
      return;
    }
    const child = spawn(opts.command, [...(opts.args ?? [])], {
      cwd: opts.cwd,
      env: opts.cleanEnv ? { ...opts.env } : { ...process.env, ...opts.env },
      // Its own process group, so a kill reaches everything it started.
      detached: true,
      stdio: [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    let timedOut = false;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const grace = opts.graceMs ?? 5_000;

    const terminate = () => {
      if (child.pid === undefined || killTimer) return;
      killGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => { if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL'); }, grace);
    };
    const timer = opts.timeoutMs !== undefined ? setTimeout(() => { timedOut = true; terminate(); }, opts.timeoutMs) : undefined;
    const onAbort = () => { aborted = true; terminate(); };
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const out = lineSplitter(keep);
    const err = lineSplitter((l) => keep(`stderr: ${l}`));
    const stdoutDecoder = new StringDecoder('utf8');
    child.stdout!.on('data', (c: Buffer) => {
      if (stdout.length < MAX_STDOUT) stdout += stdoutDecoder.write(c);
      out.push(c);
    });
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    if (opts.input !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }

    const finish = (r: Omit<RunResult, 'output' | 'stdout' | 'timedOut' | 'aborted'>) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      out.end();
      err.end();
      resolve({ ...r, timedOut, aborted, output, stdout });
    };
    child.once('error', (e: NodeJS.ErrnoException) => {
      // 'error' without a pid means it never ran; with one it is a kill failure, ignored.
      if (child.pid === undefined) finish({ code: null, signal: null, spawnError: `${e.code ?? 'error'}: ${e.message}` });
    });
    child.once('exit', (code, signal) => {
      // A background grandchild may hold the pipes open forever: give output a moment to
      // drain, then stop reading rather than wait for 'close'.
      const drain = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish({ code, signal, spawnError: null });
      }, 200);
      child.once('close', () => { clearTimeout(drain); finish({ code, signal, spawnError: null }); });
      // The leader is gone; if we were killing, finish the job on the rest of the group.
      if ((timedOut || aborted) && child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
    });
  });
}
