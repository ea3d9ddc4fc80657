// The webhook sink against a real HTTP server on loopback: the receiver verifies the HMAC
// signature with the cluster secret; 5xx answers are retried (bounded), 4xx are not; a hung
// receiver costs one timeout per attempt and never blocks send(): the queue drops the oldest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhookSignature } from './format.ts';
import { webhookSink } from './webhook.ts';
import { event } from './_events.ts';
import type { ClusterEvent } from '../model/event.ts';

const SECRET = 'sixteen-chars-or-more';

interface Received { event: ClusterEvent; verified: boolean; timestamp: number }

async function withReceiver(answer: (n: number, req: IncomingMessage, res: ServerResponse) => void, body: (url: string, got: Received[]) => Promise<void>): Promise<void> {
  const got: Received[] = [];
  let n = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const timestamp = Number(req.headers[TIMESTAMP_HEADER]);
      const verified = verifyWebhookSignature(SECRET, timestamp, text, String(req.headers[SIGNATURE_HEADER]));
      got.push({ event: JSON.parse(text) as ClusterEvent, verified, timestamp });
      answer(++n, req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await body(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/tandem?token=x`, got);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

const ok = (_n: number, _req: IncomingMessage, res: ServerResponse): void => { res.writeHead(204).end(); };

test('webhook: the receiver gets the event as JSON with a signature it verifies with the cluster secret', async () => {
  await withReceiver(ok, async (url, got) => {
    const sink = webhookSink({ url, secret: SECRET, minimumLevel: 'warning' });
    const sent = [event('info'), event('warning'), event('error')];
    for (const e of sent) await sink.send(e);
    await sink.close();
    assert.deepEqual(got.map((g) => g.event), sent.slice(1), 'the info event is below the level');
    assert.ok(got.every((g) => g.verified), 'signature verified');
    assert.ok(got.every((g) => Math.abs(g.timestamp - Date.now() / 1_000) < 60));
    assert.deepEqual(sink.stats(), { sent: 2, dropped: 0, failed: 0, queued: 0 });
    assert.equal(sink.name, `webhook ${new URL(url).origin}/hooks/tandem`, 'the name hides the query');
  });
});

test('webhook: a signature made with another secret does not verify', async () => {
  await withReceiver(ok, async (url, got) => {
    const sink = webhookSink({ url, secret: 'an-attackers-guess-1', minimumLevel: 'info' });
    await sink.send(event('error'));
    await sink.close();
    assert.equal(got.length, 1);
    assert.equal(got[0]!.verified, false);
  });
});

test('webhook: 5xx answers are retried with backoff, up to the limit', async () => {
  await withReceiver((n, _req, res) => { res.writeHead(n < 3 ? 503 : 200).end(); }, async (url, got) => {
    const sink = webhookSink({ url, secret: SECRET, minimumLevel: 'info', retries: 3, retryDelayMs: 10 });
    await sink.send(event('error'));
    await sink.close();
    assert.equal(got.length, 3, 'two 503s, then success');
    assert.deepEqual(sink.stats(), { sent: 1, dropped: 0, failed: 0, queued: 0 });
  });
  await withReceiver((_n, _req, res) => { res.writeHead(500).end(); }, async (url, got) => {
    const sink = webhookSink({ url, secret: SECRET, minimumLevel: 'info', retries: 2, retryDelayMs: 10 });
    await sink.send(event('error'));
    await sink.close();
    assert.equal(got.length, 3, 'one attempt and two retries');
    assert.equal(sink.stats().failed, 1);
  });
});

test('webhook: a 4xx answer is not retried', async () => {
  await withReceiver((_n, _req, res) => { res.writeHead(401).end(); }, async (url, got) => {
    const sink = webhookSink({ url, secret: SECRET, minimumLevel: 'info', retries: 3, retryDelayMs: 10 });
    await sink.send(event('error'));
    await sink.close();
    assert.equal(got.length, 1);
    assert.equal(sink.stats().failed, 1);
  });
});

test('webhook: a receiver that never answers costs a timeout per attempt; send() never waits and the queue stays bounded', async () => {
  await withReceiver(() => undefined, async (url, got) => {
    const sink = webhookSink({ url, secret: SECRET, minimumLevel: 'info', timeoutMs: 200, retries: 0, capacity: 5 });
    for (let i = 0; i < 500; i++) await sink.send(event('error'));
    // Every send() returned while the first delivery still hangs: nothing failed yet.
    assert.deepEqual(sink.stats(), { sent: 0, dropped: 494, failed: 0, queued: 5 }, 'one in flight, five waiting');
    await sink.close();
    // The first attempt timed out (failed), the waiting ones went on in the grace period or were dropped.
    const s = sink.stats();
    assert.equal(s.sent, 0);
    assert.ok(s.failed >= 1);
    assert.equal(s.failed + s.dropped, 500);
    assert.ok(got.length >= 1 && got.length <= 6);
  });
});
