// The `webhook` alert sink: POSTs each event as JSON, signed with HMAC-SHA256 of the cluster
// secret (format.ts), with a timeout per attempt and a bounded number of retries with
// backoff. Delivery happens behind a bounded queue, so a slow or dead receiver never blocks
// the daemon: the oldest waiting events are dropped and counted instead.
import type { Logger } from '../../lib/log.ts';
import type { ClusterEvent, EventLevel } from '../model/event.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignature } from './format.ts';
import { pause, queuedSink, type AlertSink } from './sink.ts';

export interface WebhookSinkOptions {
  readonly url: string;
  /** The cluster secret: the receiver verifies the signature with it. */
  readonly secret: string;
  readonly minimumLevel: EventLevel;
  /** Per attempt (default 5 s). */
  readonly timeoutMs?: number;
  /** Retries after a failed attempt (default 3): 1 s, 2 s, 4 s... apart. */
  readonly retries?: number;
  readonly retryDelayMs?: number;
  readonly capacity?: number;
  readonly logger?: Logger;
  /** Wall clock in ms for the signature timestamp (tests). */
  readonly now?: () => number;
}

/** An attempt that must not be repeated: the receiver refused the request itself. */
class Refused extends Error {}

export function webhookSink(opts: WebhookSinkOptions): AlertSink {
  const retries = opts.retries ?? 3;
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const baseDelay = opts.retryDelayMs ?? 1_000;
  const now = opts.now ?? Date.now;
  const post = async (event: ClusterEvent, signal: AbortSignal): Promise<void> => {
    const body = JSON.stringify(event);
    const timestamp = Math.floor(now() / 1_000);
    const res = await fetch(opts.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'tandem-alerts',
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: webhookSignature(opts.secret, timestamp, body),
      },
      body,
      redirect: 'error',
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
    await res.body?.cancel();
    if (res.ok) return;
    const why = `${opts.url} answered ${res.status} ${res.statusText}`;
    // 4xx means the request itself is wrong (bad signature, unknown hook): retrying won't help.
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) throw new Refused(why);
    throw new Error(why);
  };
  return queuedSink({
    name: `webhook ${redact(opts.url)}`,
    minimumLevel: opts.minimumLevel,
    capacity: opts.capacity ?? 100,
    ...(opts.logger ? { log: opts.logger } : {}),
    async deliver(event, signal) {
      for (let attempt = 0; ; attempt++) {
        try {
          return await post(event, signal);
        } catch (err) {
          if (err instanceof Refused || attempt >= retries || signal.aborted) throw err;
          await pause(baseDelay * 2 ** attempt, signal);
        }
      }
    },
  });
}

/** The URL without credentials or query (a token may live there) for names and logs. */
function redact(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}
