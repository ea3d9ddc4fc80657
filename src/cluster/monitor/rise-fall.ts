// Rise/fall hysteresis (keepalived's track scripts): a monitor changes state only after
// `fall` consecutive failures or `rise` consecutive successes, so one lost probe on a
// loaded machine does not fail a group over. Pure: no clock, no I/O.

/** What the monitor currently says about its target. `unknown` until a threshold is first reached. */
export type Health = 'unknown' | 'healthy' | 'failed';

export interface Thresholds {
  /** Consecutive successes before a not-healthy target counts as healthy. */
  readonly rise: number;
  /** Consecutive failures before a not-failed target counts as failed. */
  readonly fall: number;
}

export interface Counter {
  readonly health: Health;
  /** Consecutive successes so far (0 after any failure). */
  readonly successes: number;
  /** Consecutive failures so far (0 after any success). */
  readonly failures: number;
}

export interface Transition {
  readonly from: Health;
  readonly to: Health;
}

export function initialCounter(health: Health = 'unknown'): Counter {
  return { health, successes: 0, failures: 0 };
}

/** Counts one probe result; `transition` is set when the health changed with it. */
export function countProbe(counter: Counter, ok: boolean, t: Thresholds): { counter: Counter; transition: Transition | null } {
  if (t.rise < 1 || t.fall < 1) throw new RangeError(`rise and fall must be at least 1 (got rise ${t.rise}, fall ${t.fall})`);
  if (ok) {
    const successes = counter.successes + 1;
    const to: Health = counter.health !== 'healthy' && successes >= t.rise ? 'healthy' : counter.health;
    return { counter: { health: to, successes, failures: 0 }, transition: to !== counter.health ? { from: counter.health, to } : null };
  }
  const failures = counter.failures + 1;
  const to: Health = counter.health !== 'failed' && failures >= t.fall ? 'failed' : counter.health;
  return { counter: { health: to, successes: 0, failures }, transition: to !== counter.health ? { from: counter.health, to } : null };
}

/** Keeps the health but forgets the streaks (a resumed monitor starts counting afresh). */
export function resetStreaks(counter: Counter): Counter {
  return { health: counter.health, successes: 0, failures: 0 };
}
