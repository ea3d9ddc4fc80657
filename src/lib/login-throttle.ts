// Login throttling per client IP and per user name (DESIGN 3.6): after too many failed
// logins inside the window, further attempts are refused before the password is
// checked, so guessing costs the attacker time and costs the server no scrypt.
// Memory is bounded: at most `maxKeys` entries, each holding at most `max` timestamps.

export interface ThrottleOptions {
  readonly maxFailuresPerIp: number;
  readonly maxFailuresPerUser: number;
  readonly windowMs: number;
  readonly now?: () => number;
  readonly maxKeys?: number;
}

/** Why a login is refused without checking it, with the wait that lifts the block. */
export interface ThrottleVerdict {
  readonly scope: 'ip' | 'user';
  readonly retryAfterSeconds: number;
}

export class LoginThrottle {
  private readonly byIp = new Map<string, number[]>();
  private readonly byUser = new Map<string, number[]>();
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(private readonly opts: ThrottleOptions) {
    this.now = opts.now ?? Date.now;
    this.maxKeys = opts.maxKeys ?? 100_000;
  }

  /** Null when the login may be checked; else which limit is hit and for how long. */
  check(ip: string, user: string): ThrottleVerdict | null {
    const t = this.now();
    const ipWait = this.wait(this.byIp, ip, this.opts.maxFailuresPerIp, t);
    if (ipWait > 0) return { scope: 'ip', retryAfterSeconds: Math.ceil(ipWait / 1000) };
    const userWait = this.wait(this.byUser, user.toLowerCase(), this.opts.maxFailuresPerUser, t);
    if (userWait > 0) return { scope: 'user', retryAfterSeconds: Math.ceil(userWait / 1000) };
    return null;
  }

  recordFailure(ip: string, user: string): void {
    const t = this.now();
    this.add(this.byIp, ip, this.opts.maxFailuresPerIp, t);
    this.add(this.byUser, user.toLowerCase(), this.opts.maxFailuresPerUser, t);
  }

  /** A correct password clears the user's count; the IP's count stays (spraying). */
  recordSuccess(user: string): void {
    this.byUser.delete(user.toLowerCase());
  }

  /** Milliseconds until `key` drops below `max` failures in the window; 0 if it is below. */
  private wait(map: Map<string, number[]>, key: string, max: number, t: number): number {
    const list = map.get(key);
    if (!list) return 0;
    const recent = list.filter((x) => t - x < this.opts.windowMs);
    if (recent.length === 0) map.delete(key);
    else map.set(key, recent);
    if (recent.length < max) return 0;
    return recent[recent.length - max]! + this.opts.windowMs - t;
  }

  private add(map: Map<string, number[]>, key: string, max: number, t: number): void {
    const list = (map.get(key) ?? []).filter((x) => t - x < this.opts.windowMs);
    list.push(t);
    if (list.length > max) list.splice(0, list.length - max);
    map.delete(key); // re-insert so the Map's order is least recently failed first
    map.set(key, list);
    if (map.size > this.maxKeys) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
  }
}
