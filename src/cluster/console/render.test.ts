// The console's rendering: a group's state from its lease and resources (table), escaping
// of everything that comes from the log, and the forms a group offers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterEvent } from '../model/event.ts';
import { groupPhase, renderEvents, renderGroup, type GroupView } from './render.ts';

const RES = ['data', 'app'];
const NOW = Date.parse('2026-11-24T23:59:50.000Z');
function group(over: Partial<GroupView>): GroupView {
  return { name: 'mail', nodes: ['sv1', 'sv2'], holder: null, epoch: 3, request: 'none', moveTo: null, suspended: [], resources: {}, failures: [], lastResults: [], monitors: [], ...over };
}
const all = (state: string) => ({ data: state, app: state });

const CASES: Array<[string, Partial<GroupView>, string, string]> = [
  ['no holder, nothing runs', {}, 'offline', 'offline'],
  ['no holder, operator stop, nothing runs', { request: 'stop' }, 'stopped', 'stopped by the operator'],
  ['no holder, operator stop, still running on sv1', { request: 'stop', resources: { sv1: { data: 'running', app: 'stopped' } } }, 'stopping', 'stopping on sv1'],
  ['no holder, a failed resource', { resources: { sv1: { data: 'failed', app: 'stopped' } } }, 'failed', 'offline, with failed resources'],
  ['holder with everything running', { holder: 'sv1', resources: { sv1: all('running') } }, 'online', 'online on sv1'],
  ['holder with one resource still unknown', { holder: 'sv2', resources: { sv2: { data: 'running', app: 'unknown' } } }, 'starting', 'starting on sv2'],
  ['holder with a failed resource', { holder: 'sv1', resources: { sv1: { data: 'running', app: 'failed' } } }, 'failed', 'failed on sv1'],
  ['a move request to another node', { holder: 'sv1', moveTo: 'sv2', resources: { sv1: all('running') } }, 'moving', 'moving from sv1 to sv2'],
  ['between the old holder\'s release and the new one\'s lease', { moveTo: 'sv2', resources: { sv1: all('stopped') } }, 'moving', 'moving to sv2'],
  ['a satisfied move request', { holder: 'sv2', moveTo: 'sv2', resources: { sv2: all('running') } }, 'online', 'online on sv2'],
  ['holder asked to stop', { holder: 'sv1', request: 'stop', resources: { sv1: all('running') } }, 'stopping', 'stopping on sv1'],
];

for (const [name, over, phase, text] of CASES) {
  test(`groupPhase(): ${name} -> ${phase}`, () => {
    assert.deepEqual(groupPhase(group(over), RES), { phase, text });
  });
}

test('renderEvents() escapes messages, kinds and groups from the log', () => {
  const e: ClusterEvent = { at: '2026-11-24T23:59:42.191Z', seq: 1, cluster: 'c', node: 'sv1', level: 'warning', kind: 'script.output', group: 'mail', message: '<script>alert(1)</script> & "quotes" <img src=x onerror=alert(2)>' };
  const out = renderEvents([e]).value;
  assert.doesNotMatch(out, /<script>|<img/);
  assert.match(out, /&lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; &quot;quotes&quot; &lt;img src=x onerror=alert\(2\)&gt;/);
  assert.match(out, /<time datetime="2026-11-24T23:59:42.191Z" title="2026-11-24T23:59:42.191Z">23:59:42.191<\/time>/);
});

test('renderGroup(): forms carry the CSRF token; Move offers the other nodes; monitors of a suspended resource resume', () => {
  const g = group({ holder: 'sv1', resources: { sv1: all('running'), sv2: all('stopped') }, suspended: ['app'],
    monitors: [{ resource: 'app', name: 'alive', kind: 'agent', failing: false, suspended: true }] });
  const out = renderGroup(g, RES, 'TOKEN', new Set(['sv1']), NOW).value;
  assert.equal(out.match(/name="_csrf" value="TOKEN"/g)?.length, 4, 'start, stop, move, resume');
  assert.match(out, /<select name="to" id="move-to-mail"><option value="sv2">sv2 \(down\)<\/option><\/select>/);
  assert.match(out, /action="\/monitor\/resume"[\s\S]*name="name" value="app"/);
  assert.match(out, /alive \(agent\): <span class="mon-suspended">suspended<\/span>/);
  assert.match(out, /data-phase="online" data-holder="sv1"/);
});

test('renderGroup(): a probe that finds a resource stopped is not a failed action; a failed start is', () => {
  const probe = { action: { kind: 'probe', resource: 'app', node: 'sv2' }, exec: 'done', rc: 7, reason: 'no marker', agoMs: 10 };
  const start = { action: { kind: 'start', resource: 'app', node: 'sv2' }, exec: 'timeout', rc: 1, reason: 'start timed out after 30 s', agoMs: 20 };
  assert.doesNotMatch(renderGroup(group({ lastResults: [probe] }), RES, 't', new Set(), NOW).value, /Failed actions/);
  assert.match(renderGroup(group({ lastResults: [probe, start] }), RES, 't', new Set(), NOW).value, /start app on sv2: timeout, rc 1: start timed out after 30 s \(at 23:59:49\)/);
});

test('renderGroup() renders the same markup a moment later (the live stream sends only changes)', () => {
  const g = group({ holder: 'sv1', resources: { sv1: all('running') },
    failures: [{ node: 'sv1', resource: 'app', monitor: 'alive', agoMs: 4_200 }],
    lastResults: [{ action: { kind: 'start', resource: 'app', node: 'sv1' }, exec: 'error', rc: 1, reason: 'no', agoMs: 4_300 }] });
  const later = { ...g, failures: [{ ...g.failures[0]!, agoMs: 4_900 }], lastResults: [{ ...g.lastResults[0]!, agoMs: 5_000 }] };
  const a = renderGroup(g, RES, 't', new Set(), NOW).value;
  assert.equal(renderGroup(later, RES, 't', new Set(), NOW + 700).value, a);
  assert.match(a, /app on sv1 \(monitor alive\), at 23:59:45/);
});

test('renderGroup(): with three nodes Move also offers the next eligible node by priority (failover)', () => {
  const g = group({ nodes: ['sv1', 'sv2', 'sv3'], holder: 'sv2', resources: { sv2: all('running') } });
  const out = renderGroup(g, RES, 't', new Set(['sv1', 'sv2', 'sv3']), NOW).value;
  assert.match(out, /<option value="sv1">sv1<\/option><option value="sv3">sv3<\/option><option value="">next eligible by priority<\/option>/);
});
