// The delivery record: concurrent appends all land, one JSON line each, in the file of
// their UTC day; a delivery through deliverLocal leaves its line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { makeTestVolume } from '../../../test/helpers/volume.ts';
import { loadSettings } from '../core/volume.ts';
import { appendDeliveryRecord, deliveryRecordFile, flushDeliveryRecords, type DeliveryRecord } from './record.ts';
import { deliverLocal } from './local.ts';

test('200 concurrent appends give 200 whole lines in the right day files', async () => {
  const vol = await makeTestVolume();
  try {
    const day1 = Date.UTC(2026, 10, 23, 23, 59);
    const day2 = Date.UTC(2026, 10, 24, 0, 1);
    await Promise.all(Array.from({ length: 200 }, (_, i) => appendDeliveryRecord(vol.layout, { t: i % 2 ? day1 : day2, kind: 'received', stored: i })));
    await flushDeliveryRecords();
    const read = async (t: number) => (await readFile(deliveryRecordFile(vol.layout, t), 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as DeliveryRecord);
    const a = await read(day1);
    const b = await read(day2);
    assert.equal(a.length, 100);
    assert.equal(b.length, 100);
    assert.deepEqual(new Set([...a, ...b].map((r) => r.stored)).size, 200);
    assert.match(deliveryRecordFile(vol.layout, day1), /records\/delivery-2026-11-23\.jsonl$/);
  } finally {
    vol.cleanup();
  }
});

test('a local delivery writes a "received" line with its stored and failed counts', async () => {
  const vol = await makeTestVolume();
  try {
    const settings = await loadSettings(vol.layout);
    const ctx = { layout: vol.layout, settings, directory: vol.directory, log: pino({ level: 'silent' }) };
    await deliverLocal(ctx, { sender: 'bob@demo.test', recipients: ['alice@demo.test', 'nobody@demo.test'] }, Buffer.from('Subject: hi\r\n\r\nhello\r\n'));
    await flushDeliveryRecords();
    const lines = (await readFile(deliveryRecordFile(vol.layout, Date.now()), 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as DeliveryRecord);
    assert.deepEqual(lines.map(({ kind, stored, queued, failed }) => ({ kind, stored, queued, failed })), [{ kind: 'received', stored: 1, queued: 0, failed: 1 }]);
  } finally {
    vol.cleanup();
  }
});
