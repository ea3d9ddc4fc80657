// The chaos test with the disk arbiter: shared-disk leases (the arbiter directory sits beside the volume).
// Scenarios and what they check: chaos.ts. Needs root, `ip netns` and arping; skipped with the reason otherwise.
import { test } from 'node:test';
import { mailLabSkipReason } from './mail-lab.ts';
import { chainScenario, fullOnly, roundsScenario } from './chaos.ts';

const skip = mailLabSkipReason('disk');

test('chaos (disk arbiter): the 4-node chain, sv1 killed, sv2 cut off, sv3 paused, sv4 serves; no acknowledged mail lost, never two owners', { skip: skip ?? false, timeout: 900_000 }, (t) => chainScenario(t, 'disk'));

test('chaos (disk arbiter): SIGKILL, SIGSTOP/SIGCONT and a link cut of the active node in turn, each undone', { skip: skip ?? fullOnly(), timeout: 900_000 }, (t) => roundsScenario(t, 'disk'));
