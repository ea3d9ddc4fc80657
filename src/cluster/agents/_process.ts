// Facts about a process from /proc: is this pid still the program we started (pid reuse
// is defeated by the start time in /proc/PID/stat), and waiting for a process group to go.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { killGroup } from './run-command.ts';
import { sleep } from './_common.ts';

export interface ProcInfo {
  /** Clock ticks since boot when the process started (field 22 of /proc/PID/stat). */
  readonly startTicks: number;
  /** Single-letter state: R, S, D, Z (zombie), T... */
  readonly state: string;
  readonly argv: readonly string[];
}

/** Reads /proc/PID; null when there is no such process. */
export async function procInfo(pid: number): Promise<ProcInfo | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may itself contain spaces and parentheses.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = rest[0] ?? '?';
    const startTicks = Number(rest[19]);
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    return { startTicks, state, argv: cmdline.split('\0').filter((a) => a.length > 0) };
  } catch {
    return null;
  }
}

/**
 * Alive (not a zombie) and started at `startTicks`: the very process we spawned, whatever
 * it exec'd into since (a wrapper script that `exec`s its program stays the same process),
 * and never a stranger that got the pid after ours died. The start time is what makes the
 * pair unique; a program name would not (wrappers change it, other programs share it).
 */
export async function isSameProcess(pid: number, startTicks: number): Promise<{ ok: boolean; why: string; argv: readonly string[] }> {
  const info = await procInfo(pid);
  if (!info) return { ok: false, why: `pid ${pid} is gone`, argv: [] };
  if (info.state === 'Z') return { ok: false, why: `pid ${pid} has exited (zombie)`, argv: info.argv };
  if (info.startTicks !== startTicks) return { ok: false, why: `pid ${pid} is now another process (${basename(info.argv[0] ?? '?')})`, argv: info.argv };
  return { ok: true, why: `pid ${pid} running`, argv: info.argv };
}

/** Waits until the process is gone or a zombie; false when `ms` passed or the signal fired first. */
export async function waitGone(pid: number, startTicks: number, ms: number, signal?: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    const info = await procInfo(pid);
    if (!info || info.state === 'Z' || info.startTicks !== startTicks) return true;
    if (Date.now() >= deadline || signal?.aborted) return false;
    await sleep(Math.min(100, Math.max(1, deadline - Date.now())), signal);
  }
}

/**
 * SIGTERM to the group, up to `graceMs` (or until `signal` fires) for it to go, then
 * SIGKILL and up to 5 s more. Returns how it ended, for the reason line.
 */
export async function terminateGroup(pid: number, startTicks: number, graceMs: number, signal?: AbortSignal): Promise<'gone' | 'term' | 'kill' | 'stuck'> {
  if (await waitGone(pid, startTicks, 0)) return 'gone';
  killGroup(pid, 'SIGTERM');
  if (await waitGone(pid, startTicks, graceMs, signal)) return 'term';
  killGroup(pid, 'SIGKILL');
  return (await waitGone(pid, startTicks, 5_000)) ? 'kill' : 'stuck';
}
