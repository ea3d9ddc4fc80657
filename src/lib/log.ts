// Structured logging: typed events, not free-form strings (STYLE "Logs"), so tests and
// the consoles can consume them. One pino logger per process, JSON lines on stderr.
import { pino, type Logger } from 'pino';

export type { Logger };

let root: Logger | undefined;

/** The process-wide logger. Level from TANDEM_LOG_LEVEL (default info; "silent" in tests). */
export function rootLogger(): Logger {
  root ??= pino({
    level: process.env.TANDEM_LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  }, pino.destination({ dest: 2, sync: false }));
  return root;
}

/** A child logger for one component, e.g. `logger('smtp')`. */
export function logger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger().child({ component, ...bindings });
}
