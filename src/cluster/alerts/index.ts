// The alert sinks of a cluster config (`alerts`): alertSinks(config, opts) builds one
// EventSink per entry. Every sink filters by level, queues (bounded, drop-oldest) and never
// blocks the caller; see docs/alerts.md.
import type { Writable } from 'node:stream';
import type { ClusterConfig } from '../model/config-schema.ts';
import type { EventLevel } from '../model/event.ts';
import { logger as makeLogger, type Logger } from '../../lib/log.ts';
import { assertNever } from '../../lib/errors.ts';
import type { AlertSink } from './sink.ts';
import { logSink } from './log.ts';
import { consoleSink } from './console.ts';
import { webhookSink } from './webhook.ts';
import { mailSink } from './mail.ts';

export type { AlertSink } from './sink.ts';
export { verifyWebhookSignature, webhookSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './format.ts';

export interface AlertSinkOptions {
  readonly logger?: Logger;
  /** Overrides for tests: the wall program and the stream console alerts go to. */
  readonly wallCommand?: string;
  readonly stderr?: Writable;
}

/** Default minimum levels: mail only for warnings and errors (it is the noisiest channel). */
export const DEFAULT_ALERT_LEVEL: Record<ClusterConfig['alerts'][number]['type'], EventLevel> = {
  log: 'info',
  console: 'warning',
  webhook: 'info',
  mail: 'warning',
};

export function alertSinks(config: ClusterConfig, opts: AlertSinkOptions = {}): AlertSink[] {
  const log = opts.logger ?? makeLogger('alerts');
  return config.alerts.map((alert): AlertSink => {
    const minimumLevel = alert.level ?? DEFAULT_ALERT_LEVEL[alert.type];
    switch (alert.type) {
      case 'log':
        return logSink({ minimumLevel, logger: log, ...(alert.path ? { path: alert.path } : {}) });
      case 'console':
        return consoleSink({
          minimumLevel, wall: alert.wall ?? false, logger: log,
          ...(opts.wallCommand ? { wallCommand: opts.wallCommand } : {}),
          ...(opts.stderr ? { stderr: opts.stderr } : {}),
        });
      case 'webhook':
        return webhookSink({
          url: alert.url, secret: config.cluster.secret, minimumLevel, logger: log,
          ...(alert.timeout !== undefined ? { timeoutMs: alert.timeout } : {}),
          ...(alert.retries !== undefined ? { retries: alert.retries } : {}),
        });
      case 'mail':
        return mailSink({
          to: alert.to, minimumLevel, logger: log,
          ...(alert.smarthost ? { smarthost: alert.smarthost } : {}),
          ...(alert.from ? { from: alert.from } : {}),
          ...(alert.timeout !== undefined ? { timeoutMs: alert.timeout } : {}),
        });
      default:
        return assertNever(alert, 'alert type');
    }
  });
}
