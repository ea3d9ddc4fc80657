// The demo's event follower: only new events, only the kinds a person watching cares
// about, a broadcast once though every node logs it, a line split across two reads, and
// a rotated log read again from its start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventFollower, isShownEvent } from './demo-events.ts';

const line = (kind: string, message: string) => `${JSON.stringify({ at: '2026-11-25T01:02:03.000Z', kind, message })}\n`;

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await sleep(50);
  assert.ok(check(), what);
}

test('EventFollower prints new shown events once, across nodes, split lines and rotation', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-demo-events-'));
  const printed: string[] = [];
  const f1 = join(dir, 'sv1', 'events.jsonl');
  const f2 = join(dir, 'sv2', 'events.jsonl');
  mkdirSync(join(dir, 'sv1'));
  mkdirSync(join(dir, 'sv2'));
  writeFileSync(f1, line('group.started', 'old news'));
  const follower = new EventFollower([{ node: 'sv1', dir: join(dir, 'sv1') }, { node: 'sv2', dir: join(dir, 'sv2') }], (l) => printed.push(l));
  try {
    await follower.start(20);
    appendFileSync(f1, line('resource.started', 'not shown') + line('group.failover', 'group mail is running on sv1'));
    appendFileSync(f1, line('broadcast', 'hello all'));
    appendFileSync(f2, line('broadcast', 'hello all'));
    const split = line('node.lost', 'node sv2 is unreachable');
    appendFileSync(f2, split.slice(0, 20));
    await until('the first events', () => printed.length >= 2);
    appendFileSync(f2, split.slice(20));
    await until('the split line', () => printed.some((p) => p.includes('unreachable')));
    // Rotation: the file starts again, smaller than where we were.
    writeFileSync(f1, line('monitor.fell', 'smtp fell'));
    await until('the rotated log', () => printed.some((p) => p.includes('smtp fell')));
    assert.deepEqual(printed.map((p) => p.replace(/^\[[^\]]*\] /, '')), [
      'sv1: group mail is running on sv1',
      'sv1: broadcast: hello all',
      'sv2: node sv2 is unreachable',
      'sv1: smtp fell',
    ]);
  } finally {
    follower.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('isShownEvent: state changes of groups and nodes, failures and broadcasts; not resource chatter', () => {
  for (const k of ['group.started', 'group.failover', 'group.stopped', 'node.lost', 'resource.failed', 'monitor.fell', 'broadcast']) assert.ok(isShownEvent(k), k);
  for (const k of ['resource.started', 'script.output', 'svc.output', 'plan', 'lease.acquired']) assert.ok(!isShownEvent(k), k);
});
