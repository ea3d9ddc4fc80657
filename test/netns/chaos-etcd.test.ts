// The chaos test with the etcd arbiter: a 3-member etcd, each member in a namespace of its own.
// Scenarios and what they check: chaos.ts. Needs root, `ip netns` and arping, and Debian's
// etcd-server; skipped with the reason otherwise.
import { test } from 'node:test';
import { mailLabSkipReason } from './mail-lab.ts';
import { chainScenario, fullOnly, roundsScenario } from './chaos.ts';

const skip = mailLabSkipReason('etcd');

test('chaos (etcd arbiter): the 4-node chain, sv1 killed, sv2 cut off, sv3 paused, sv4 serves; no acknowledged mail lost, never two owners', { skip: skip ?? false, timeout: 900_000 }, (t) => chainScenario(t, 'etcd'));

test('chaos (etcd arbiter): SIGKILL, SIGSTOP/SIGCONT and a link cut of the active node in turn, each undone', { skip: skip ?? fullOnly(), timeout: 900_000 }, (t) => roundsScenario(t, 'etcd'));
