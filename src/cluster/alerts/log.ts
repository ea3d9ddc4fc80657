// The `log` alert sink: one JSON line per event, appended to a file (config `path`), or
// handed to the node's logger when no path is set.
import { open, type FileHandle } from 'node:fs/promises';
import type { Logger } from '../../lib/log.ts';
import type { EventLevel } from '../model/event.ts';
import { queuedSink, type AlertSink } from './sink.ts';

export interface LogSinkOptions {
  readonly path?: string;
  readonly logger: Logger;
  readonly minimumLevel: EventLevel;
}

export function logSink(opts: LogSinkOptions): AlertSink {
  let file: FileHandle | null = null;
  const sink = queuedSink({
    outputLines: true,
    name: opts.path ? `log ${opts.path}` : 'log',
    minimumLevel: opts.minimumLevel,
    capacity: 1_000,
    log: opts.logger,
    async deliver(event) {
      if (!opts.path) {
        const level = event.level === 'warning' ? 'warn' : event.level;
        opts.logger[level]({ event }, event.message);
        return;
      }
      // O_APPEND: whole lines even if another process appends to the same file.
      file ??= await open(opts.path, 'a', 0o640);
      await file.appendFile(`${JSON.stringify(event)}\n`);
    },
  });
  return {
    ...sink,
    async close() {
      await sink.close();
      await file?.close();
      file = null;
    },
  };
}
