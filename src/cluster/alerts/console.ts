// The `console` alert sink, the successor of the seed's ARMBCAST (a message to everyone
// logged in): the event line on stderr (the daemon's journal), and with `wall: true` the
// same text through wall(1) to every logged-in terminal. wall runs with a timeout and its
// failure only costs that broadcast.
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import type { Logger } from '../../lib/log.ts';
import type { EventLevel } from '../model/event.ts';
import { broadcastText, eventLine } from './format.ts';
import { queuedSink, type AlertSink } from './sink.ts';

export interface ConsoleSinkOptions {
  readonly minimumLevel: EventLevel;
  readonly wall: boolean;
  /** The wall program (default /usr/bin/wall, bsdutils on Debian). */
  readonly wallCommand?: string;
  readonly stderr?: Writable;
  readonly timeoutMs?: number;
  readonly logger?: Logger;
}

export function consoleSink(opts: ConsoleSinkOptions): AlertSink {
  const out = opts.stderr ?? process.stderr;
  const wallCommand = opts.wallCommand ?? '/usr/bin/wall';
  return queuedSink({
    name: opts.wall ? 'console+wall' : 'console',
    minimumLevel: opts.minimumLevel,
    ...(opts.logger ? { log: opts.logger } : {}),
    async deliver(event, signal) {
      out.write(`${eventLine(event)}\n`);
      if (opts.wall) await runWall(wallCommand, broadcastText(event), opts.timeoutMs ?? 5_000, signal);
    },
  });
}

/** Feeds `text` to wall on stdin; rejects on a non-zero exit, a spawn error or the timeout. */
function runWall(command: string, text: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [], { stdio: ['pipe', 'ignore', 'pipe'], signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]), killSignal: 'SIGKILL' });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-500); });
    child.once('error', reject);
    child.once('exit', (code, sig) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} exited with ${code ?? sig}: ${stderr.trim()}`));
    });
    child.stdin.on('error', () => undefined); // an early exit closes the pipe; the exit code tells
    child.stdin.end(text);
  });
}
