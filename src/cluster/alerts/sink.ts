// What every alert sink shares: a level filter in front of a bounded queue (send() never
// waits for delivery), counters for the status output, and a bounded close().
import type { ClusterEvent, EventLevel, EventSink } from '../model/event.ts';
import type { Logger } from '../../lib/log.ts';
import { BoundedQueue, type QueueStats } from './queue.ts';
import { passesLevel } from './format.ts';

export interface AlertSink extends EventSink {
  /** e.g. `webhook https://ops.example.com/hooks/tandem`, for logs and status. */
  readonly name: string;
  stats(): QueueStats;
}

export interface QueuedSinkOptions {
  readonly name: string;
  readonly minimumLevel: EventLevel;
  /** Events waiting at most; beyond it the oldest is dropped (default 100). */
  readonly capacity?: number;
  /** How long close() lets the queue drain before abandoning it (default 5 s). */
  readonly closeGraceMs?: number;
  readonly log?: Logger;
  /**
   * Whether the sink takes the output lines of scripts and services (`*.output` events).
   * Only the `log` sink does: a webhook, a terminal or a mailbox would get every line a
   * mail service logs. The event log keeps them all anyway.
   */
  readonly outputLines?: boolean;
  readonly deliver: (event: ClusterEvent, signal: AbortSignal) => Promise<void>;
}

export function queuedSink(opts: QueuedSinkOptions): AlertSink & { idle(): Promise<void> } {
  const queue = new BoundedQueue<ClusterEvent>(opts.capacity ?? 100, opts.deliver, (event, err) => {
    opts.log?.warn({ sink: opts.name, kind: event.kind, seq: event.seq, err: String(err) }, `alert sink ${opts.name} gave up on an event`);
  });
  return {
    name: opts.name,
    async send(event) {
      if (!opts.outputLines && isOutputLine(event)) return;
      if (passesLevel(event, opts.minimumLevel)) queue.push(event);
    },
    close: () => queue.close(opts.closeGraceMs ?? 5_000),
    stats: () => queue.stats(),
    idle: () => queue.idle(),
  };
}

/** An output line of a script or a supervised service (script.output, svc.output). */
export function isOutputLine(event: ClusterEvent): boolean {
  return event.kind.endsWith('.output');
}

/** Resolves after `ms`, or at once when the signal fires (a retry wait that close() can cut). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
