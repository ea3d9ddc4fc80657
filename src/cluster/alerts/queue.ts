// A bounded delivery queue for one alert sink: send() never waits for the network, a full
// queue drops its OLDEST event (and counts it), and one worker delivers in order. Alerts must
// never slow the daemon down nor grow its memory when a webhook or mail server is down.

export interface QueueStats {
  /** Delivered successfully. */
  readonly sent: number;
  /** Dropped unsent because the queue was full (oldest first) or closed. */
  readonly dropped: number;
  /** Given up on after the sink's own retries. */
  readonly failed: number;
  /** Waiting now. */
  readonly queued: number;
}

export class BoundedQueue<T> {
  private readonly items: T[] = [];
  private sent = 0;
  private dropped = 0;
  private failed = 0;
  private running: Promise<void> | null = null;
  private closed = false;
  private readonly stop = new AbortController();

  /**
   * `deliver` gets an AbortSignal that fires when the queue is closed and its grace period
   * is over; it should give up then. A rejection counts as a failed delivery.
   */
  constructor(
    private readonly capacity: number,
    private readonly deliver: (item: T, signal: AbortSignal) => Promise<void>,
    private readonly onFailure: (item: T, err: unknown) => void = () => undefined,
  ) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError(`queue capacity must be a positive integer; got ${capacity}`);
  }

  push(item: T): void {
    if (this.closed) {
      this.dropped += 1;
      return;
    }
    if (this.items.length >= this.capacity) {
      this.items.shift();
      this.dropped += 1;
    }
    this.items.push(item);
    this.running ??= this.run();
  }

  stats(): QueueStats {
    return { sent: this.sent, dropped: this.dropped, failed: this.failed, queued: this.items.length };
  }

  /** Resolves once everything queued so far was delivered or given up (for tests and close). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops accepting, lets the queue drain for up to `graceMs`, then aborts and drops the rest. */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    const timer = setTimeout(() => this.stop.abort(), graceMs);
    try {
      await this.idle();
    } finally {
      clearTimeout(timer);
    }
  }

  private async run(): Promise<void> {
    try {
      for (let item = this.items.shift(); item !== undefined; item = this.items.shift()) {
        if (this.stop.signal.aborted) {
          this.dropped += 1 + this.items.length;
          this.items.length = 0;
          return;
        }
        try {
          await this.deliver(item, this.stop.signal);
          this.sent += 1;
        } catch (err) {
          this.failed += 1;
          this.onFailure(item, err);
        }
      }
    } finally {
      this.running = null;
    }
  }
}
