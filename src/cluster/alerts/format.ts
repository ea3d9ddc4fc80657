// Pure formatting for alert sinks: level filtering, the one-line text people read, the mail
// subject and body, and the webhook's signed body. No I/O here.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ClusterEvent, EventLevel } from '../model/event.ts';

const RANK: Record<EventLevel, number> = { info: 0, warning: 1, error: 2 };

/** True when `event` is at or above the sink's minimum level. */
export function passesLevel(event: ClusterEvent, minimum: EventLevel): boolean {
  return RANK[event.level] >= RANK[minimum];
}

/** `2026-11-24T21:00:00.000Z mail-cluster/sv1 ERROR group.failover [mail]: message` */
export function eventLine(event: ClusterEvent): string {
  const where = [event.group, event.resource].filter((x) => x !== undefined).join('/');
  const about = event.subject !== undefined ? ` (${event.subject})` : '';
  return `${event.at} ${event.cluster}/${event.node} ${event.level.toUpperCase()} ${event.kind}${where ? ` [${where}]` : ''}${about}: ${oneLine(event.message)}`;
}

/** The wall(1)/console broadcast: who sends it, then the event line. */
export function broadcastText(event: ClusterEvent): string {
  return `Tandem cluster ${event.cluster}, node ${event.node}:\n${eventLine(event)}\n`;
}

export function mailSubject(event: ClusterEvent): string {
  const where = event.group !== undefined ? ` ${event.group}` : '';
  return `[tandem ${event.cluster}] ${event.level.toUpperCase()} ${event.kind}${where} on ${event.node}: ${oneLine(event.message)}`.slice(0, 200);
}

export function mailBody(event: ClusterEvent): string {
  const lines = [
    eventLine(event),
    '',
    `cluster: ${event.cluster}`,
    `node:    ${event.node}`,
    `level:   ${event.level}`,
    `kind:    ${event.kind}`,
    ...(event.group !== undefined ? [`group:   ${event.group}`] : []),
    ...(event.resource !== undefined ? [`resource: ${event.resource}`] : []),
    ...(event.subject !== undefined ? [`about:   ${event.subject}`] : []),
    `time:    ${event.at} (event ${event.seq})`,
    '',
    event.message,
  ];
  if (event.data !== undefined) lines.push('', JSON.stringify(event.data, null, 2));
  return `${lines.join('\n')}\n`;
}

/** Header names of a signed webhook request. */
export const SIGNATURE_HEADER = 'x-tandem-signature';
export const TIMESTAMP_HEADER = 'x-tandem-timestamp';

/**
 * `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`: the receiver recomputes it with
 * the cluster secret; the timestamp (Unix seconds) inside the MAC lets it refuse replays.
 */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The receiver's check (also what docs/alerts.md shows): constant-time comparison. */
export function verifyWebhookSignature(secret: string, timestamp: number, body: string, signature: string): boolean {
  const expected = Buffer.from(webhookSignature(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').trim();
}
