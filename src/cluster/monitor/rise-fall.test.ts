import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countProbe, initialCounter, resetStreaks, type Health, type Thresholds } from './rise-fall.ts';

/** Runs a string of probe results ("+" ok, "-" failed) and lists the health after each one. */
function run(start: Health, results: string, t: Thresholds): string[] {
  let c = initialCounter(start);
  const out: string[] = [];
  for (const r of results) {
    const step = countProbe(c, r === '+', t);
    c = step.counter;
    out.push(step.transition ? `${step.transition.from}->${step.transition.to}` : c.health);
  }
  return out;
}

const cases: Array<{ name: string; start: Health; rise: number; fall: number; results: string; expect: string[] }> = [
  { name: 'fall 2: one failure changes nothing', start: 'healthy', rise: 1, fall: 2, results: '-+', expect: ['healthy', 'healthy'] },
  { name: 'fall 2: the second consecutive failure fails it', start: 'healthy', rise: 1, fall: 2, results: '--', expect: ['healthy', 'healthy->failed'] },
  { name: 'a success in between restarts the failure count', start: 'healthy', rise: 1, fall: 2, results: '-+-+-', expect: ['healthy', 'healthy', 'healthy', 'healthy', 'healthy'] },
  { name: 'failures after the fall report no second transition', start: 'healthy', rise: 1, fall: 2, results: '----', expect: ['healthy', 'healthy->failed', 'failed', 'failed'] },
  { name: 'rise 3: healthy again only after three successes in a row', start: 'failed', rise: 3, fall: 2, results: '++-+++', expect: ['failed', 'failed', 'failed', 'failed', 'failed', 'failed->healthy'] },
  { name: 'rise 1, fall 1: every change is immediate', start: 'healthy', rise: 1, fall: 1, results: '-+-', expect: ['healthy->failed', 'failed->healthy', 'healthy->failed'] },
  { name: 'unknown becomes healthy after rise successes', start: 'unknown', rise: 2, fall: 2, results: '++', expect: ['unknown', 'unknown->healthy'] },
  { name: 'unknown becomes failed after fall failures', start: 'unknown', rise: 2, fall: 3, results: '---', expect: ['unknown', 'unknown', 'unknown->failed'] },
  { name: 'successes while healthy stay quiet', start: 'healthy', rise: 2, fall: 2, results: '+++', expect: ['healthy', 'healthy', 'healthy'] },
];

for (const c of cases) {
  test(`countProbe: ${c.name}`, () => {
    assert.deepEqual(run(c.start, c.results, { rise: c.rise, fall: c.fall }), c.expect);
  });
}

test('countProbe refuses thresholds below 1', () => {
  assert.throws(() => countProbe(initialCounter(), true, { rise: 0, fall: 1 }), /rise and fall must be at least 1/);
});

test('resetStreaks keeps the health and forgets the counts', () => {
  let c = initialCounter('healthy');
  c = countProbe(c, false, { rise: 1, fall: 3 }).counter;
  assert.equal(c.failures, 1);
  assert.deepEqual(resetStreaks(c), { health: 'healthy', successes: 0, failures: 0 });
});
