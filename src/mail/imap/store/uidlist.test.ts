import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, appendFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendUids, assignUids, formatUidList, newUidValidity, parseUidList, readUidList, writeUidList, UIDLIST_FILE } from './uidlist.ts';

test('parseUidList() reads the header and lines; first line for an id wins', () => {
  const l = parseUidList('T1 V1700000000 N5\n1 a.host\n3 b.host\n4 a.host\n')!;
  assert.equal(l.uidValidity, 1700000000);
  assert.equal(l.uidNext, 5);
  assert.deepEqual([...l.uids], [['a.host', 1], ['b.host', 3]]);
  assert.equal(parseUidList('garbage\n'), null);
});

test('a torn last line is ignored but its UID is never handed out again', () => {
  const l = parseUidList('T1 V7 N2\n1 a.host\n9 b.ho')!;
  assert.equal(l.uids.has('b.ho'), false);
  assert.equal(l.uidNext, 10);
});

test('formatUidList() round-trips', () => {
  const l = { uidValidity: 3, uidNext: 8, uids: new Map([['x', 2], ['y', 7]]) };
  assert.deepEqual(parseUidList(formatUidList(l)), l);
});

test('appendUids() completes a torn line first so the new line stays whole', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-uidl-'));
  try {
    await writeUidList(dir, { uidValidity: 5, uidNext: 1, uids: new Map() });
    appendFileSync(join(dir, UIDLIST_FILE), '1 torn.ho');
    await appendUids(dir, [['m.host', 2]]);
    const l = (await readUidList(dir))!;
    assert.equal(l.uids.get('m.host'), 2);
    assert.equal(l.uidNext, 3);
    assert.match(readFileSync(join(dir, UIDLIST_FILE), 'utf8'), /1 torn\.ho\n2 m\.host\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('newUidValidity() is the time in seconds, always above a previous value', () => {
  assert.equal(newUidValidity(0, 1_700_000_000_500), 1_700_000_000);
  assert.equal(newUidValidity(1_700_000_000, 1_700_000_000_500), 1_700_000_001);
});

test('assignUids() appends in order, and compaction keeps UIDNEXT and every UID on disk', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-uidl-'));
  try {
    const { deliverToMaildir } = await import('../../storage/maildir.ts');
    const kept = await deliverToMaildir(dir, Buffer.from('x'));
    const dead = Array.from({ length: 1100 }, (_, i) => `gone${i}.host`);
    const start = { uidValidity: 9, uidNext: 1, uids: new Map<string, number>() };
    await writeUidList(dir, start);
    await assignUids(dir, [...dead, kept.id], start);
    const late = await deliverToMaildir(dir, Buffer.from('y')); // another process, after our scan
    await assignUids(dir, [late.id], start);
    const after = await assignUids(dir, [kept.id], start, new Set([kept.id]));
    const onDisk = (await readUidList(dir))!;
    assert.deepEqual([...onDisk.uids].sort((a, b) => a[1] - b[1]), [[kept.id, 1101], [late.id, 1102]]);
    assert.equal(onDisk.uidNext, 1103);
    assert.equal(after.uidNext, 1103);
    assert.ok(readFileSync(join(dir, UIDLIST_FILE), 'utf8').length < 200, 'compacted');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
