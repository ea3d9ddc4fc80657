// alertSinks(config): one sink per `alerts` entry with the documented default levels; the
// log sink's JSON lines in a file; the console sink's stderr line and its wall(1) broadcast
// (a stand-in wall program, a real process, records what it was fed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { validateClusterConfig } from '../model/config.ts';
import { alertSinks } from './index.ts';
import { logSink } from './log.ts';
import { consoleSink } from './console.ts';
import { event } from './_events.ts';
import type { ClusterEvent } from '../model/event.ts';

const silent = pino({ level: 'silent' });

async function withTemp(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-alerts-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('alertSinks() builds one sink per alerts entry, in order, with the default levels', async () => {
  await withTemp(async (dir) => {
    const r = validateClusterConfig({
      version: 1,
      cluster: { name: 'c', secret: 'sixteen-chars-or-more' },
      nodes: [{ name: 'sv1', addresses: ['198.18.0.1'] }],
      arbiter: { type: 'disk', path: '/srv/arb' },
      alerts: [
        { type: 'log', path: join(dir, 'events.jsonl') },
        { type: 'console' },
        { type: 'webhook', url: 'https://ops.example.com/hooks/tandem', timeout: '2s', retries: 1 },
        { type: 'mail', to: ['ops@example.com'], smarthost: 'smtp.example.com:587', level: 'error' },
      ],
    });
    assert.ok(r.ok, JSON.stringify(r));
    const stderr = new PassThrough();
    const sinks = alertSinks(r.config, { logger: silent, stderr });
    assert.deepEqual(sinks.map((s) => s.name), [
      `log ${join(dir, 'events.jsonl')}`, 'console', 'webhook https://ops.example.com/hooks/tandem', 'mail ops@example.com via smtp.example.com:587',
    ]);
    // An info event passes log only (console: warning, webhook: info but the host is not
    // reachable from tests, so only log and console are exercised here).
    const info = event('info');
    await sinks[0]!.send(info);
    await sinks[1]!.send(info);
    await sinks[1]!.send(event('warning'));
    await Promise.all([sinks[0]!.close(), sinks[1]!.close(), sinks[2]!.close(), sinks[3]!.close()]);
    assert.deepEqual(sinks[0]!.stats(), { sent: 1, dropped: 0, failed: 0, queued: 0 });
    assert.deepEqual(sinks[1]!.stats(), { sent: 1, dropped: 0, failed: 0, queued: 0 }, 'console default level is warning');
  });
});

test('alerts config: an unknown level or a bad webhook URL names the field', () => {
  const base = { version: 1, cluster: { name: 'c', secret: 'sixteen-chars-or-more' }, nodes: [{ name: 'sv1', addresses: ['198.18.0.1'] }], arbiter: { type: 'disk', path: '/a' } };
  const bad = (alerts: unknown[]): string[] => { const r = validateClusterConfig({ ...base, alerts }); return r.ok ? [] : r.errors; };
  assert.ok(bad([{ type: 'log', level: 'debug' }]).some((e) => e.startsWith('alerts.0.level: ')));
  assert.ok(bad([{ type: 'webhook', url: 'not a url' }]).some((e) => e.startsWith('alerts.0.url: ')));
  assert.ok(bad([{ type: 'webhook', url: 'https://x.example', retries: 99 }]).some((e) => e.startsWith('alerts.0.retries: ')));
  assert.ok(bad([{ type: 'mail', to: [] }]).some((e) => e.startsWith('alerts.0.to: ')));
});

test('log sink: one JSON line per event appended to the file; without a path, the logger', async () => {
  await withTemp(async (dir) => {
    const path = join(dir, 'events.jsonl');
    await writeFile(path, '{"earlier":true}\n');
    const sink = logSink({ path, logger: silent, minimumLevel: 'info' });
    const sent = [event('info'), event('error')];
    for (const e of sent) await sink.send(e);
    await sink.close();
    const lines = (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as ClusterEvent);
    assert.deepEqual(lines, [{ earlier: true }, ...sent]);

    const records: Array<Record<string, unknown>> = [];
    const stream = new PassThrough();
    stream.on('data', (c: Buffer) => c.toString().trim().split('\n').forEach((l) => records.push(JSON.parse(l) as Record<string, unknown>)));
    const toLogger = logSink({ logger: pino({ level: 'info' }, stream), minimumLevel: 'warning' });
    await toLogger.send(event('info'));
    await toLogger.send(event('warning', 'node.lost'));
    await toLogger.close();
    await new Promise((r) => setImmediate(r));
    assert.equal(records.length, 1);
    assert.equal(records[0]!.level, 40);
    assert.equal((records[0]!.event as ClusterEvent).kind, 'node.lost');
  });
});

test('console sink: the line on stderr, and the broadcast through wall when enabled', async () => {
  await withTemp(async (dir) => {
    const fed = join(dir, 'wall-input');
    const wall = join(dir, 'wall');
    await writeFile(wall, `#!/bin/sh\ncat >> '${fed}'\n`);
    await chmod(wall, 0o755);
    const stderr = new PassThrough();
    let text = '';
    stderr.on('data', (c: Buffer) => { text += c.toString(); });
    const sink = consoleSink({ minimumLevel: 'warning', wall: true, wallCommand: wall, stderr });
    const e = event('error', 'lease.lost');
    await sink.send(event('info'));
    await sink.send(e);
    await sink.close();
    assert.match(text, /mail-cluster\/sv1 ERROR lease\.lost \[mail\]: group mail fails over/);
    assert.equal(text.trim().split('\n').length, 1, 'the info event is below the level');
    assert.equal(await readFile(fed, 'utf8'), `Tandem cluster mail-cluster, node sv1:\n${text}`);
    assert.deepEqual(sink.stats(), { sent: 1, dropped: 0, failed: 0, queued: 0 });
  });
});

test('console sink: a failing or missing wall costs that broadcast only', async () => {
  await withTemp(async (dir) => {
    const stderr = new PassThrough();
    stderr.resume();
    const sink = consoleSink({ minimumLevel: 'info', wall: true, wallCommand: join(dir, 'no-such-wall'), stderr });
    await sink.send(event('error'));
    await sink.send(event('error'));
    await sink.close();
    assert.deepEqual(sink.stats(), { sent: 0, dropped: 0, failed: 2, queued: 0 });
  });
});

test('output lines of scripts and services reach the log sink only, whatever the level', async () => {
  await withTemp(async (dir) => {
    const path = join(dir, 'events.jsonl');
    const log = logSink({ path, logger: silent, minimumLevel: 'info' });
    const stderr = new PassThrough();
    let text = '';
    stderr.on('data', (c: Buffer) => { text += c.toString(); });
    const terminal = consoleSink({ minimumLevel: 'info', wall: false, stderr });
    const line = event('info', 'svc.output', { message: 'smtp: 250 2.0.0 queued as 17' });
    const script = event('info', 'script.output', { message: 'start.sh: loading services' });
    const lost = event('error', 'lease.lost');
    for (const e of [line, script, lost]) { await log.send(e); await terminal.send(e); }
    await log.close();
    await terminal.close();
    const kinds = (await readFile(path, 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as ClusterEvent).kind);
    assert.deepEqual(kinds, ['svc.output', 'script.output', 'lease.lost']);
    assert.equal(text.trim().split('\n').length, 1, 'the console got the lease loss only');
    assert.match(text, /lease\.lost/);
  });
});
