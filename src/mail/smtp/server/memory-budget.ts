// A process-wide cap on message bytes held in memory while DATA is received
// (DESIGN 3.6: never unbounded memory). Each message is also capped by
// limits.messageSizeBytes; this bounds the sum over all concurrent transactions.
export class MemoryBudget {
  private used = 0;

  constructor(readonly maxBytes: number) {}

  /** Reserves `n` bytes; false (nothing reserved) when that would pass the cap. */
  tryTake(n: number): boolean {
    if (this.used + n > this.maxBytes) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used = Math.max(0, this.used - n);
  }

  get inUse(): number {
    return this.used;
  }
}
