// Start-up decisions of the cron service and quota warning levels, by table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dueAtStart, type JobSchedule, type JobState } from './due.ts';
import { quotaDecision } from './quota.ts';

const H = 3600_000;
const DAY = 24 * H;
const daily = (hour: number) => (after: number) => {
  const d = Math.floor(after / DAY) * DAY + hour * H;
  return d > after ? d : d + DAY;
};
const NOW = 100 * DAY + 12 * H; // noon, day 100
const st = (over: Partial<JobState>): JobState => ({ job: 'j', startedAt: null, finishedAt: null, ok: null, summary: '', knownSince: 0, ...over });

test('dueAtStart() reruns interrupted jobs and catches up missed ones, once each, with a reason', () => {
  const schedules: JobSchedule[] = [
    { job: 'interrupted', enabled: true, nextAfter: daily(3) },
    { job: 'missed', enabled: true, nextAfter: daily(3) },
    { job: 'fine', enabled: true, nextAfter: daily(3) },
    { job: 'disabled', enabled: false, nextAfter: daily(3) },
    { job: 'new', enabled: true, nextAfter: daily(3) },
    { job: 'new-known', enabled: true, nextAfter: daily(3) },
    { job: 'failed-but-finished', enabled: true, nextAfter: daily(3) },
  ];
  const states = new Map<string, JobState>([
    ['interrupted', st({ startedAt: NOW - 9 * H, finishedAt: NOW - DAY })],
    ['missed', st({ startedAt: NOW - DAY - 9 * H, finishedAt: NOW - DAY - 9 * H + 1000, ok: true })],
    ['fine', st({ startedAt: NOW - 9 * H, finishedAt: NOW - 9 * H + 5000, ok: true })],
    ['disabled', st({ startedAt: NOW - 9 * H })],
    ['new-known', st({ knownSince: NOW - 2 * H })],
    ['failed-but-finished', st({ startedAt: NOW - 9 * H, finishedAt: NOW - 9 * H + 10, ok: false })],
  ]);
  const due = dueAtStart(schedules, states, NOW);
  assert.deepEqual(due.map((d) => d.job), ['interrupted', 'missed']);
  assert.match(due[0]!.reason, /^interrupted started at .* and never finished \(crash or failover\); running it again$/);
  assert.match(due[1]!.reason, /^missed missed its run at 1970-04-11T03:00:00\.000Z \(no cron process was running\); catching up$/);
});

test('a job started and never finished at all (finishedAt null) is interrupted', () => {
  const due = dueAtStart([{ job: 'j', enabled: true, nextAfter: daily(3) }], new Map([['j', st({ startedAt: NOW - H })]]), NOW);
  assert.equal(due.length, 1);
});

test('quotaDecision() warns once per threshold, and again after usage dropped below', () => {
  const t = [80, 90];
  const cases: Array<[number, number, { warn: number | null; level: number }]> = [
    [50, 0, { warn: null, level: 0 }],
    [80, 0, { warn: 80, level: 80 }],
    [85, 80, { warn: null, level: 80 }],
    [95, 80, { warn: 90, level: 90 }],
    [95, 0, { warn: 90, level: 90 }],
    [99, 90, { warn: null, level: 90 }],
    [70, 90, { warn: null, level: 0 }],
    [81, 0, { warn: 80, level: 80 }],
  ];
  for (const [percent, warned, expected] of cases) assert.deepEqual(quotaDecision(percent * 1000, 100_000, t, warned), expected, `${percent}% after ${warned}`);
  assert.deepEqual(quotaDecision(10, 0, t, 0), { warn: null, level: 0 }, 'no quota: no warning');
});
