// The console's login sessions, in the node daemon's memory: a random cookie value (only
// its SHA-256 is kept), the user, a CSRF token, idle and absolute expiry, and one flash
// message for the page after a form post. Bounded: past `max` sessions the oldest goes.
// A daemon restart logs everyone out of that node's console, which is all it costs.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface ConsoleSession {
  readonly user: string;
  readonly csrf: string;
  readonly createdAt: number;
  lastAt: number;
  flash: { readonly ok: boolean; readonly text: string } | null;
}

export interface SessionLimits {
  readonly idleMs: number;
  readonly maxMs: number;
  readonly max?: number;
  readonly now?: () => number;
}

const digest = (cookie: string): string => createHash('sha256').update(cookie).digest('base64url');

export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

export class ConsoleSessions {
  private readonly byDigest = new Map<string, ConsoleSession>();
  private readonly now: () => number;
  private readonly max: number;

  constructor(private readonly limits: SessionLimits) {
    this.now = limits.now ?? Date.now;
    this.max = limits.max ?? 1_000;
  }

  /** A new session for `user`; returns the cookie value (never stored as such). */
  create(user: string): { cookie: string; session: ConsoleSession } {
    this.purge();
    const cookie = randomToken();
    const t = this.now();
    const session: ConsoleSession = { user, csrf: randomToken(), createdAt: t, lastAt: t, flash: null };
    this.byDigest.set(digest(cookie), session);
    while (this.byDigest.size > this.max) {
      const oldest = this.byDigest.keys().next().value;
      if (oldest === undefined) break;
      this.byDigest.delete(oldest);
    }
    return { cookie, session };
  }

  /**
   * The live session for a cookie, or null. `touch` counts the request as activity; the
   * live stream does not touch, so a console left open still logs out when idle.
   */
  get(cookie: string | undefined, touch = true): ConsoleSession | null {
    if (!cookie) return null;
    const key = digest(cookie);
    const s = this.byDigest.get(key);
    if (!s) return null;
    const t = this.now();
    if (t - s.lastAt > this.limits.idleMs || t - s.createdAt > this.limits.maxMs) {
      this.byDigest.delete(key);
      return null;
    }
    if (touch) s.lastAt = t;
    return s;
  }

  end(cookie: string | undefined): void {
    if (cookie) this.byDigest.delete(digest(cookie));
  }

  get size(): number {
    return this.byDigest.size;
  }

  private purge(): void {
    const t = this.now();
    for (const [k, s] of this.byDigest) {
      if (t - s.lastAt > this.limits.idleMs || t - s.createdAt > this.limits.maxMs) this.byDigest.delete(k);
    }
  }
}
