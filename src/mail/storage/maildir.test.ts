import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deliverToMaildir, listMaildir, parseMaildirName, readMessage, removeMessages, setMaildirFlags } from './maildir.ts';
import { readUsage, addUsage, parseMaildirsize, exceedsQuota } from './quota.ts';

test('parseMaildirName() separates the stable id, the size and the flags', () => {
  assert.deepEqual(parseMaildirName('1700000000.M1500P2Q3R4.host,S=1234:2,RS'), { id: '1700000000.M1500P2Q3R4.host', size: 1234, flags: 'RS', time: 1700000000001.5 });
  assert.deepEqual(parseMaildirName('1700000000.P2.host'), { id: '1700000000.P2.host', size: null, flags: '', time: 1700000000000 });
});

test('messages of one second are listed in delivery order, by microseconds, not by name', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tandem-md-'));
  try {
    // "M99" sorts after "M123" as text; delivery order must win.
    for (const usec of ['123000', '99']) {
      await deliverToMaildir(root, Buffer.from(`Subject: ${usec}\r\n\r\n`));
    }
    const names = (await listMaildir(root)).map((m) => m.filename);
    const { renameSync } = await import('node:fs');
    renameSync(join(root, 'new', names[0]!), join(root, 'new', '1700000000.M123000P1Q1Rx.h,S=18'));
    renameSync(join(root, 'new', names[1]!), join(root, 'new', '1700000000.M99P1Q2Rx.h,S=15'));
    assert.deepEqual((await listMaildir(root)).map((m) => m.id), ['1700000000.M99P1Q2Rx.h', '1700000000.M123000P1Q1Rx.h']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('delivered messages appear in new/ with their exact bytes, and tmp/ is left empty', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tandem-md-'));
  try {
    const body = Buffer.from('Subject: hi\r\n\r\nhello\r\n');
    const m = await deliverToMaildir(root, body);
    assert.equal(m.size, body.length);
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
    const [listed] = await listMaildir(root);
    assert.equal(listed?.id, m.id);
    assert.deepEqual(await readMessage(listed!.path), body);
    const moved = await setMaildirFlags(listed!, root, 'S');
    assert.match(moved, /cur\/.*:2,S$/);
    assert.equal((await listMaildir(root))[0]?.id, m.id, 'the id survives a flag change');
    assert.equal(await removeMessages([moved]), 1);
    assert.deepEqual(await listMaildir(root), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('quota usage is rebuilt from a scan, then tracked by appended deltas', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tandem-md-'));
  try {
    await deliverToMaildir(root, Buffer.alloc(100, 65));
    await deliverToMaildir(join(root, '.Sent'), Buffer.alloc(50, 65));
    assert.deepEqual(await readUsage(root, 1000), { bytes: 150, count: 2 });
    await addUsage(root, { bytes: 10, count: 1 });
    assert.deepEqual(await readUsage(root, 1000), { bytes: 160, count: 3 });
    assert.equal(exceedsQuota({ bytes: 160, count: 3 }, 1000, 900), true);
    assert.equal(exceedsQuota({ bytes: 160, count: 3 }, 0, 1e9), false, '0 means unlimited');
    assert.equal(parseMaildirsize('garbage\nnot numbers\n'), null);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
