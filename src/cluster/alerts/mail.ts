// The `mail` alert sink: one message per event to the configured recipients, through an SMTP
// host: the node's local MTA on localhost:25 by default (it queues and retries on its own),
// or a smarthost ("host" or "host:port"). nodemailer does the SMTP. Off the machine TLS is
// required (port 465: TLS from the start; otherwise STARTTLS, certificate verified); on
// loopback it is skipped (the local MTA, plaintext never leaves the host).
import { hostname as osHostname } from 'node:os';
import { isIP } from 'node:net';
import { createTransport } from 'nodemailer';
import type { Logger } from '../../lib/log.ts';
import type { EventLevel } from '../model/event.ts';
import { mailBody, mailSubject } from './format.ts';
import { queuedSink, type AlertSink } from './sink.ts';

export interface MailSinkOptions {
  readonly to: readonly string[];
  /** "host" or "host:port" (default localhost:25). */
  readonly smarthost?: string;
  /** Default tandem@<this host's name>. */
  readonly from?: string;
  readonly minimumLevel: EventLevel;
  /** Connect, greeting and socket timeouts (default 10 s). */
  readonly timeoutMs?: number;
  readonly capacity?: number;
  readonly logger?: Logger;
}

/** Splits "host", "host:port" or "[v6]:port" into host and port (default 25). */
export function parseSmarthost(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text);
  if (!m) return { host: text, port: 25 };
  const port = m[2] === undefined ? 25 : Number(m[2]);
  if (!(port >= 1 && port <= 65535)) throw new RangeError(`smarthost port must be 1-65535; got ${JSON.stringify(text)}`);
  return { host: m[1]!, port };
}

const isLoopback = (host: string): boolean => host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.')) || host === '::1';

export function mailSink(opts: MailSinkOptions): AlertSink {
  const { host, port } = parseSmarthost(opts.smarthost ?? 'localhost:25');
  const timeout = opts.timeoutMs ?? 10_000;
  const from = opts.from ?? `tandem@${osHostname()}`;
  const transport = createTransport({
    host,
    port,
    secure: port === 465,
    ignoreTLS: isLoopback(host),
    requireTLS: !isLoopback(host),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    name: osHostname(),
  });
  const sink = queuedSink({
    name: `mail ${opts.to.join(',')} via ${host}:${port}`,
    minimumLevel: opts.minimumLevel,
    capacity: opts.capacity ?? 100,
    ...(opts.logger ? { log: opts.logger } : {}),
    async deliver(event) {
      // The local MTA or smarthost does the retrying; one attempt here.
      await transport.sendMail({
        from,
        to: [...opts.to],
        subject: mailSubject(event),
        text: mailBody(event),
        headers: { 'X-Tandem-Event': event.kind, 'X-Tandem-Cluster': event.cluster, 'Auto-Submitted': 'auto-generated' },
      });
    },
  });
  return {
    ...sink,
    async close() {
      await sink.close();
      transport.close();
    },
  };
}
