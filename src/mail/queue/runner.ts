// The queue runner: scans queue/ on start (how delivery resumes after a restart or a
// failover), on kick(), when an entry falls due, and when `tandem mail queue flush`
// touches queue/.flush; delivers due entries with bounded concurrency (deliver.ts).
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { MailContext } from '../core/context.ts';
import { listEntryIds, readEntry } from './spool.ts';
import { deliverEntry, type DeliverLocal, type DeliveryDeps } from './deliver.ts';
import { defaultResolveMx, type ResolveMx } from './route.ts';
import { sweepQueue } from './sweep.ts';

export interface QueueRunnerDeps {
  deliverLocal: DeliverLocal;
  resolveMx?: ResolveMx;
  now?: () => number;
  /** In [0, 1); Math.random by default. */
  jitter?: () => number;
  /** Longest sleep between scans (default 30 s). */
  scanIntervalMs?: number;
  /** How often queue/.flush is checked (default 1 s). */
  flushPollMs?: number;
}

export interface QueueRunner {
  /** Scan now (e.g. after the SMTP server queued a message). */
  kick(): void;
  /** Stops scanning and waits for deliveries in progress to end. */
  close(): Promise<void>;
}

/** The file `tandem mail queue flush` touches to wake the runner of another process. */
export function flushSignalPath(queueDir: string): string {
  return join(queueDir, '.flush');
}

/** After an unexpected error on an entry, leave it alone this long (no hot loop on a bad disk). */
const ERROR_COOLDOWN_MS = 60_000;
const BUSY_RETRY_MS = 1_000;
const SWEEP_EVERY_MS = 60_000;

export function startQueueRunner(ctx: MailContext, deps: QueueRunnerDeps): QueueRunner {
  const queueDir = ctx.layout.queueDir;
  const log = ctx.log;
  const d: DeliveryDeps = {
    deliverLocal: deps.deliverLocal,
    resolveMx: deps.resolveMx ?? defaultResolveMx(),
    now: deps.now ?? Date.now,
    jitter: deps.jitter ?? Math.random,
  };
  const scanEvery = deps.scanIntervalMs ?? 30_000;
  const concurrency = ctx.settings.queue.concurrency;
  // A lone .eml may be a message still arriving; never sweep it inside the SMTP data timeout.
  const orphanAgeMs = Math.max(60_000, ctx.settings.limits.dataTimeoutSeconds * 1000 + 60_000);
  const inflight = new Map<string, Promise<void>>();
  const cooldown = new Map<string, number>();
  const corruptLogged = new Set<string>();
  let closing = false;
  let scanning: Promise<void> | null = null;
  let again = false;
  let backlog = false;
  let timer: NodeJS.Timeout | null = null;
  let timerAt = Infinity;
  let lastSweep = -Infinity;

  /** Wakes at `at`; with `replace` false it only ever brings the wake-up forward. */
  function wakeAt(at: number, replace: boolean): void {
    if (closing || (!replace && at >= timerAt)) return;
    if (timer) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(() => { timer = null; timerAt = Infinity; requestScan(); }, Math.max(at - d.now(), 20));
  }

  async function scan(): Promise<void> {
    const now = d.now();
    if (now - lastSweep >= SWEEP_EVERY_MS) {
      lastSweep = now;
      const { removed } = await sweepQueue(queueDir, now, orphanAgeMs);
      if (removed.length > 0) log.info({ event: 'queue.sweep', removed }, `removed ${removed.length} debris file(s) from the queue: ${removed.join(', ')}`);
    }
    let earliest = now + scanEvery;
    for (const id of await listEntryIds(queueDir)) {
      if (closing) return;
      if (inflight.has(id)) continue;
      const until = cooldown.get(id);
      if (until !== undefined && until > now) { earliest = Math.min(earliest, until); continue; }
      let entry;
      try {
        entry = await readEntry(queueDir, id);
      } catch (err) {
        // Never delete an unreadable entry: its message is still there for an operator to rescue.
        if (!corruptLogged.has(id)) log.error({ event: 'queue.entry.unreadable', id, err: String(err) }, `${id}: entry state unreadable, skipped (inspect queue/${id}.json)`);
        corruptLogged.add(id);
        continue;
      }
      if (!entry) continue;
      if (entry.nextAttemptAt > now) { earliest = Math.min(earliest, entry.nextAttemptAt); continue; }
      if (inflight.size >= concurrency) { backlog = true; continue; }
      start(id);
    }
    wakeAt(earliest, true);
  }

  function start(id: string): void {
    const p = deliverEntry(ctx, d, id).then((res) => {
      if (res.kind === 'busy') wakeAt(d.now() + BUSY_RETRY_MS, false);
      // The scan that started this delivery skipped it as in flight: wake for its next attempt.
      if (res.kind === 'retry') wakeAt(res.nextAttemptAt, false);
      // A DSN was just queued: deliver it now rather than at the next timer.
      if (res.kind === 'done' && res.dsnId) again = true;
      cooldown.delete(id);
    }, (err: unknown) => {
      cooldown.set(id, d.now() + ERROR_COOLDOWN_MS);
      log.error({ event: 'queue.deliver.error', id, err: (err as Error)?.stack ?? String(err) }, `${id}: delivery attempt failed unexpectedly; retrying in ${ERROR_COOLDOWN_MS / 1000} s`);
    }).finally(() => {
      inflight.delete(id);
      if (closing) return;
      if (backlog || again) { backlog = false; requestScan(); }
    });
    inflight.set(id, p);
  }

  function requestScan(): void {
    if (closing) return;
    if (scanning) { again = true; return; }
    again = false;
    scanning = scan().catch((err: unknown) => {
      log.error({ event: 'queue.scan.error', err: String(err) }, `queue scan failed: ${String(err)}; next try in ${scanEvery / 1000} s`);
      wakeAt(d.now() + scanEvery, false);
    }).finally(() => {
      scanning = null;
      if (again) requestScan();
    });
  }

  // Another process (the CLI) asks for a run by touching queue/.flush; a stat per second is cheap.
  // Starts at 0 ("never"): a .flush left from earlier only costs one extra scan.
  let lastFlush = 0;
  let polling = false;
  const flushPoll = setInterval(() => {
    if (polling || closing) return;
    polling = true;
    stat(flushSignalPath(queueDir)).then((st) => st.mtimeMs, () => 0).then((mtime) => {
      if (mtime !== lastFlush) {
        log.info({ event: 'queue.flush.signal' }, 'flush requested through queue/.flush: scanning now');
        requestScan();
      }
      lastFlush = mtime;
    }).finally(() => { polling = false; });
  }, deps.flushPollMs ?? 1_000);

  log.info({ event: 'queue.start', concurrency }, `queue runner started on ${queueDir} (concurrency ${concurrency}); resuming any queued mail`);
  requestScan();

  return {
    kick: requestScan,
    async close() {
      closing = true;
      clearInterval(flushPoll);
      if (timer) clearTimeout(timer);
      await scanning;
      await Promise.all(inflight.values());
      log.info({ event: 'queue.stop' }, 'queue runner stopped');
    },
  };
}
