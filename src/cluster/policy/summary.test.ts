// The cycle summary line: idle cycles name each group's holder, busy ones give the reasons.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide } from './decide.ts';
import { summarizeCycle } from './summary.ts';
import { viewFor } from './simulate.ts';
import { activeOn, makeConfig, makeWorld, withGroup, withNode } from './_fixtures.ts';

test('summarizeCycle() of an idle cycle names who holds each group', () => {
  const w = activeOn(makeWorld(makeConfig({ groups: 2 }), 1_000), 'mail', 'sv1', 42);
  const view = viewFor(w, 'sv1');
  assert.equal(summarizeCycle(view, { actions: [], reasons: [] }), 'no action: sv1 holds mail (epoch 42); mail2 is offline');
});

test('summarizeCycle() of a busy cycle counts the actions and gives the reasons', () => {
  const view = viewFor(makeWorld(makeConfig(), 1_000), 'sv1');
  assert.equal(summarizeCycle(view, decide(view)), '1 action: group mail starts on sv1: highest-priority eligible node; acquiring its lease');
});

test('summarizeCycle() of an idle but waiting cycle says what it waits for', () => {
  const w = withNode(activeOn(makeWorld(makeConfig({ failback: 'auto' }), 100_000), 'mail', 'sv2'), 'sv1', { upSinceMs: 95_000 });
  const view = viewFor(w, 'sv2');
  assert.equal(summarizeCycle(view, decide(view)), 'no action: sv2 holds mail (epoch 7) (group mail stays on sv2: failback to sv1 in 25 s (stable period))');
});

test('summarizeCycle() of an offline group nobody may take says why', () => {
  const w = withGroup(makeWorld(makeConfig(), 1_000), 'mail', () => ({ request: 'stop' }));
  const view = viewFor(w, 'sv1');
  assert.equal(summarizeCycle(view, decide(view)), 'no action: mail is offline: group mail is stopped by the operator');
});
