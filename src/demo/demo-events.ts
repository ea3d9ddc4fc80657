// Follows the demo nodes' event logs (STATE/events.jsonl) and prints the events a person
// watching the demo cares about: the group starting or failing over, a node lost, a
// failed resource or monitor, broadcasts. Polls the files (bounded reads), so it needs
// nothing from the daemons and survives their restarts and the log's rotation.
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';

const SHOWN = new Set(['group.started', 'group.failover', 'group.stopped', 'group.move-requested', 'node.lost', 'resource.failed', 'monitor.fell', 'broadcast', 'lease.lost', 'node.paused']);
const MAX_READ = 1 << 20;

interface Followed { node: string; file: string; offset: number; partial: string }

/** Whether a kind of event is worth a line on the demo's terminal. */
export function isShownEvent(kind: string): boolean {
  return SHOWN.has(kind);
}

export class EventFollower {
  private readonly files: Followed[];
  private timer: NodeJS.Timeout | null = null;
  private readonly recent = new Map<string, number>();

  constructor(stateDirs: ReadonlyArray<{ node: string; dir: string }>, private readonly print: (line: string) => void) {
    this.files = stateDirs.map((s) => ({ node: s.node, file: join(s.dir, 'events.jsonl'), offset: 0, partial: '' }));
  }

  /** Starts after what the logs already hold: only new events are printed. */
  async start(intervalMs = 500): Promise<void> {
    for (const f of this.files) f.offset = (await stat(f.file).catch(() => null))?.size ?? 0;
    const loop = async (): Promise<void> => {
      for (const f of this.files) await this.poll(f).catch(() => undefined);
      if (this.timer) this.timer = setTimeout(() => void loop(), intervalMs);
    };
    this.timer = setTimeout(() => void loop(), intervalMs);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async poll(f: Followed): Promise<void> {
    const size = (await stat(f.file).catch(() => null))?.size ?? 0;
    if (size < f.offset) { f.offset = 0; f.partial = ''; } // rotated
    if (size === f.offset) return;
    const fh = await open(f.file, 'r');
    try {
      const buf = Buffer.alloc(Math.min(size - f.offset, MAX_READ));
      const { bytesRead } = await fh.read(buf, 0, buf.length, f.offset);
      f.offset += bytesRead;
      const lines = (f.partial + buf.subarray(0, bytesRead).toString('utf8')).split('\n');
      f.partial = (lines.pop() ?? '').slice(-MAX_READ);
      for (const line of lines) this.show(f.node, line);
    } finally {
      await fh.close();
    }
  }

  private show(node: string, line: string): void {
    let e: { kind?: string; message?: string; at?: string };
    try { e = JSON.parse(line) as typeof e; } catch { return; }
    if (!e.kind || !isShownEvent(e.kind) || !e.message) return;
    // A broadcast lands in every node's log: show it once.
    if (e.kind === 'broadcast') {
      const seen = this.recent.get(e.message);
      const now = Date.now();
      for (const [k, t] of this.recent) if (now - t > 10_000) this.recent.delete(k);
      if (seen !== undefined) return;
      this.recent.set(e.message, now);
    }
    const at = e.at ? new Date(e.at).toTimeString().slice(0, 8) : '';
    this.print(`[${at}] ${node}: ${e.kind === 'broadcast' ? `broadcast: ${e.message}` : e.message}`);
  }
}
