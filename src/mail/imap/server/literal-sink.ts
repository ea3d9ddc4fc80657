// Streamed literals (bigger than imap.inlineLiteralBytes) go to temp files under the
// volume's run/imap-tmp/, never into memory; the APPEND that holds them reads the file and
// the session deletes it after the command, or at once when the command fails to parse.
import { open, rm, mkdir, readdir, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { TandemError } from '../../../lib/errors.ts';

interface Sink {
  readonly path: string;
  readonly size: number;
  /** Writes run one after another on this chain; it settles when the last one did. */
  chain: Promise<FileHandle | null>;
  received: number;
  failed: Error | null;
}

/** A literal as the handler gets it: a file with `size` octets, or an error while storing it. */
export interface StoredLiteral {
  readonly path: string;
  readonly size: number;
  stream(): AsyncIterable<Buffer>;
}

/** Empties the temp area at service start (files left by a killed process). */
export async function cleanTmpDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const name of await readdir(dir)) await rm(join(dir, name), { force: true, recursive: true });
}

export class LiteralSinks {
  private readonly sinks = new Map<number, Sink>();
  private pendingWrites = 0;
  private drainWaiters: Array<() => void> = [];

  constructor(private readonly dir: string, private readonly sessionId: string) {}

  /** Writes in flight: the connection stops reading while there are too many. */
  get busy(): boolean {
    return this.pendingWrites > 4;
  }

  /** Resolves once the writes in flight are below the threshold again. */
  whenWritable(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Highest stream number opened so far (-1: none). */
  lastStream = -1;

  /** `store` false: the octets are counted and dropped (a client not logged in). */
  open(stream: number, size: number, store: boolean): void {
    const path = join(this.dir, `${this.sessionId}-${stream}-${randomBytes(4).toString('hex')}`);
    const chain = store ? open(path, 'wx', 0o600) : Promise.resolve(null);
    const sink: Sink = { path, size, chain, received: 0, failed: null };
    sink.chain = chain.catch((e: Error) => { sink.failed = e; return null; });
    this.sinks.set(stream, sink);
    this.lastStream = Math.max(this.lastStream, stream);
  }

  write(stream: number, data: Buffer): void {
    const sink = this.sinks.get(stream);
    if (!sink) return;
    sink.received += data.length;
    this.pendingWrites++;
    sink.chain = sink.chain.then(async (fh) => {
      try {
        if (fh && !sink.failed) await fh.write(data);
      } catch (e) {
        sink.failed = e as Error;
      } finally {
        this.pendingWrites--;
        if (!this.busy) for (const w of this.drainWaiters.splice(0)) w();
      }
      return fh;
    });
  }

  /** The literal's file once every octet is written; throws when storing failed. */
  async take(stream: number): Promise<StoredLiteral> {
    const sink = this.sinks.get(stream);
    if (!sink) throw new Error(`literal ${stream} was not received`);
    const fh = await sink.chain;
    await fh?.close().catch(() => undefined);
    sink.chain = Promise.resolve(null);
    // Dropped because it arrived before the LOGIN that was pipelined ahead of it finished.
    if (!fh && !sink.failed) throw new TandemError('MAIL_ERR_LITERAL_DROPPED', 'temp', 'the message arrived before the login had completed; send it again');
    if (!fh) throw sink.failed!;
    if (sink.failed) throw sink.failed;
    if (sink.received !== sink.size) throw new Error(`literal incomplete (${sink.received} of ${sink.size} octets)`);
    return { path: sink.path, size: sink.size, stream: () => createReadStream(sink.path) };
  }

  /**
   * Deletes the literals of a finished (or failed) command: streams up to `upTo`. Later
   * ones belong to a command the client already pipelined behind it (LITERAL+).
   */
  async discardUpTo(upTo: number): Promise<void> {
    const all = [...this.sinks].filter(([n]) => n <= upTo).map(([n, s]) => { this.sinks.delete(n); return s; });
    await Promise.all(all.map(async (s) => {
      const fh = await s.chain;
      await fh?.close().catch(() => undefined);
      await rm(s.path, { force: true });
    }));
  }
}
