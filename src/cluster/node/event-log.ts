// The node's event log (DESIGN 2.9): one JSON object per line in STATE/events.jsonl, a
// sequence number per node that survives restarts, rotation at a size bound, and the same
// events handed to the alert sinks. Reads (tail, follow) serve `tandem log` and the API.
import { appendFile, mkdir, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterEvent, EventLevel, EventSink } from '../model/event.ts';

const ROTATE_BYTES = 8 * 1024 * 1024;
const RECENT = 2_000;

export type EventInput = Omit<ClusterEvent, 'at' | 'seq' | 'cluster' | 'node'>;

export interface EventFilter {
  readonly after?: number;
  readonly group?: string;
  readonly kind?: string;
  readonly level?: EventLevel;
  readonly limit?: number;
}

export class EventLog {
  private seq = 0;
  private readonly recent: ClusterEvent[] = [];
  private writing: Promise<void> = Promise.resolve();
  private readonly waiters = new Set<() => void>();
  private readonly path: string;

  constructor(private readonly dir: string, private readonly cluster: string, private readonly node: string, private readonly sinks: readonly EventSink[] = []) {
    this.path = join(dir, 'events.jsonl');
  }

  /** Reads the last sequence number (so seq keeps increasing across restarts) and the recent tail. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    for (const e of await this.readAll()) {
      this.seq = Math.max(this.seq, e.seq);
      this.remember(e);
    }
  }

  get lastSeq(): number {
    return this.seq;
  }

  emit(input: EventInput): ClusterEvent {
    const event: ClusterEvent = { at: new Date().toISOString(), seq: ++this.seq, cluster: this.cluster, node: this.node, ...input };
    this.remember(event);
    const line = `${JSON.stringify(event)}\n`;
    this.writing = this.writing.then(() => this.append(line)).catch(() => undefined);
    for (const sink of this.sinks) void sink.send(event).catch(() => undefined);
    for (const wake of this.waiters) wake();
    this.waiters.clear();
    return event;
  }

  /** Matching events, oldest first, the newest `limit`. From memory when it reaches back far enough. */
  async tail(filter: EventFilter = {}): Promise<ClusterEvent[]> {
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 10_000);
    const after = filter.after ?? 0;
    const first = this.recent[0];
    const source = first && (first.seq <= after + 1 || this.recent.length < RECENT) ? this.recent : await this.readAll();
    const match = source.filter((e) => e.seq > after && (!filter.group || e.group === filter.group)
      && (!filter.kind || e.kind === filter.kind || e.kind.startsWith(`${filter.kind}.`)) && (!filter.level || e.level === filter.level));
    return match.slice(-limit);
  }

  /** Resolves when an event newer than `after` exists or `timeoutMs` passed (long poll for --follow). */
  async waitAfter(after: number, timeoutMs: number): Promise<void> {
    if (this.seq > after) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { this.waiters.delete(done); resolve(); }, timeoutMs);
      const done = (): void => { clearTimeout(timer); resolve(); };
      this.waiters.add(done);
    });
  }

  async flush(): Promise<void> {
    await this.writing;
    await Promise.all(this.sinks.map((s) => s.close().catch(() => undefined)));
  }

  private remember(e: ClusterEvent): void {
    this.recent.push(e);
    if (this.recent.length > RECENT) this.recent.splice(0, this.recent.length - RECENT);
  }

  private async append(line: string): Promise<void> {
    const size = await stat(this.path).then((s) => s.size, () => 0);
    if (size > ROTATE_BYTES) await rename(this.path, `${this.path}.1`).catch(() => undefined);
    await appendFile(this.path, line, { mode: 0o600 });
  }

  private async readAll(): Promise<ClusterEvent[]> {
    const out: ClusterEvent[] = [];
    for (const file of [`${this.path}.1`, this.path]) {
      const text = await readFile(file, 'utf8').catch(() => '');
      for (const line of text.split('\n')) {
        if (!line) continue;
        try {
          out.push(JSON.parse(line) as ClusterEvent);
        } catch {
          // A torn last line after a crash: skip it.
        }
      }
    }
    return out;
  }
}
