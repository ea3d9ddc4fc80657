// Login failure throttling (DESIGN 3.6): failures are counted per client IP and per
// user name inside a sliding window; past the limit, AUTH is refused with 454 4.7.0
// before any password is checked, so guessing costs the attacker time, not us CPU.
// In-memory and per process: a restart forgets, which only helps the legitimate user.
import { REPLIES, type Reply } from '../proto/reply.ts';

export interface ThrottleLimits {
  readonly maxFailuresPerIp: number;
  readonly maxFailuresPerUser: number;
  readonly failureWindowSeconds: number;
}

/** Keys remembered at most, so a spray of distinct user names cannot grow memory. */
const MAX_KEYS = 50_000;

export class AuthThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly limits: ThrottleLimits, private readonly now: () => number = Date.now) {}

  /** The refusal for a login attempt from `ip` as `user`, or null when it may proceed. */
  check(ip: string, user: string): Reply | null {
    const { maxFailuresPerIp, maxFailuresPerUser, failureWindowSeconds } = this.limits;
    if (this.count(`ip:${ip}`) >= maxFailuresPerIp) return REPLIES.authThrottled('address', maxFailuresPerIp, failureWindowSeconds);
    if (this.count(`user:${user.toLowerCase()}`) >= maxFailuresPerUser) return REPLIES.authThrottled('user', maxFailuresPerUser, failureWindowSeconds);
    return null;
  }

  recordFailure(ip: string, user: string): void {
    const t = this.now();
    for (const key of [`ip:${ip}`, `user:${user.toLowerCase()}`]) {
      const list = this.failures.get(key) ?? [];
      list.push(t);
      this.failures.delete(key); // re-insert: Map order is then oldest-touched first
      this.failures.set(key, list);
    }
    while (this.failures.size > MAX_KEYS) this.failures.delete(this.failures.keys().next().value!);
  }

  /** Failures of `key` inside the window; drops older ones as a side effect. */
  private count(key: string): number {
    const list = this.failures.get(key);
    if (!list) return 0;
    const since = this.now() - this.limits.failureWindowSeconds * 1000;
    const kept = list.filter((t) => t > since);
    if (kept.length === 0) this.failures.delete(key);
    else this.failures.set(key, kept);
    return kept.length;
  }
}
