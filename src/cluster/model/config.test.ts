// Cluster config validation: defaults, and every schema or semantic problem reported with
// the path of the field at fault, so an operator can find it in the YAML.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClusterConfig, parseDuration, validateClusterConfig } from './config.ts';

const BASE = {
  version: 1,
  cluster: { name: 'c', secret: 'sixteen-chars-or-more' },
  nodes: [{ name: 'sv1', addresses: ['198.18.0.1'] }, { name: 'sv2', addresses: ['198.18.0.2'] }],
  arbiter: { type: 'disk', path: '/srv/arb' },
  groups: [{ name: 'mail', nodes: ['sv1', 'sv2'], resources: [
    { name: 'volume', type: 'volume', params: { path: '/srv/mail' } },
    { name: 'vip', type: 'vip', params: { address: '198.18.0.100' } },
    { name: 'smtp', type: 'service', dependsOn: ['volume', 'vip'], params: { command: ['smtp'] }, monitors: [{ name: 'm', kind: 'agent' }] },
  ] }],
};

type Raw = typeof BASE & Record<string, unknown>;
const edit = (f: (c: Raw) => void): unknown => { const c = structuredClone(BASE) as Raw; f(c); return c; };
const errorsOf = (raw: unknown): string[] => { const r = validateClusterConfig(raw); return r.ok ? [] : r.errors; };
/* eslint-disable @typescript-eslint/no-explicit-any -- the tables below build deliberately wrong configs */
const group0 = (c: Raw): any => c.groups[0];

test('a minimal config gets the documented defaults, durations in milliseconds', () => {
  const r = validateClusterConfig(BASE);
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.config.heartbeat, { interval: 500, timeout: 2000 });
  assert.equal(r.config.arbiter.leaseTtl, 2000);
  assert.equal(r.config.arbiter.margin, 333, 'the margin defaults to a sixth of the TTL');
  const g = r.config.groups[0];
  assert.equal(g?.startup, 'auto');
  assert.equal(g?.failback, 'manual');
  assert.equal(g?.failbackDelay, 30_000);
  assert.deepEqual(g?.resources[2]?.timeouts, { start: 30_000, stop: 30_000, monitor: 10_000 });
  assert.deepEqual(g?.resources[2]?.monitors[0], { kind: 'agent', name: 'm', interval: 5000, timeout: 3000, rise: 1, fall: 2, recovery: { restarts: 3, window: 60_000, failover: true, finalAction: 'none' } });
  assert.deepEqual(r.config.alerts, [{ type: 'log' }]);
});

const problems: { name: string; raw: unknown; expect: RegExp }[] = [
  { name: 'a missing secret', raw: edit((c) => { delete (c.cluster as any).secret; }), expect: /^cluster\.secret: / },
  { name: 'a short secret', raw: edit((c) => { c.cluster.secret = 'short'; }), expect: /^cluster\.secret: must be at least 16 characters/ },
  { name: 'an unknown key', raw: edit((c) => { c.extra = 1; }), expect: /^\(top level\): .*extra/i },
  { name: 'a bad duration', raw: edit((c) => { c.heartbeat = { interval: 'soon' }; }), expect: /^heartbeat\.interval: expected a duration/ },
  { name: 'a bad node address', raw: edit((c) => { (c.nodes[0] as any).addresses = ['nope']; }), expect: /^nodes\.0\.addresses\.0: must be an IP address/ },
  { name: 'an unknown resource type', raw: edit((c) => { group0(c).resources[0].type = 'disk'; }), expect: /^groups\.0\.resources\.0\.type: / },
  { name: 'a bad param of a type', raw: edit((c) => { group0(c).resources[1].params.address = 'x'; }), expect: /^groups\.0\.resources\.1\.params\.address: must be an IP address/ },
  { name: 'a duplicate node name', raw: edit((c) => { (c.nodes[1] as any).name = 'sv1'; c.groups[0]!.nodes = ['sv1']; }), expect: /^nodes\.1\.name: duplicate node name "sv1"/ },
  { name: 'an address shared by two nodes', raw: edit((c) => { (c.nodes[1] as any).addresses = ['198.18.0.1']; }), expect: /^nodes\.1\.addresses\.0: address 198\.18\.0\.1 is also node sv1's/ },
  { name: 'an unknown node in a group', raw: edit((c) => { c.groups[0]!.nodes = ['sv1', 'sv9']; }), expect: /^groups\.0\.nodes\.1: unknown node "sv9"/ },
  { name: 'a node listed twice in a group', raw: edit((c) => { c.groups[0]!.nodes = ['sv1', 'sv1']; }), expect: /^groups\.0\.nodes\.1: node "sv1" listed twice/ },
  { name: 'a duplicate group', raw: edit((c) => { c.groups.push(structuredClone(c.groups[0]!)); }), expect: /^groups\.1\.name: duplicate group name "mail"/ },
  { name: 'a duplicate resource', raw: edit((c) => { group0(c).resources[1].name = 'volume'; group0(c).resources[2].dependsOn = ['volume']; }), expect: /^groups\.0\.resources\.1\.name: duplicate resource name "volume"/ },
  { name: 'a dependency on an unknown resource', raw: edit((c) => { group0(c).resources[2].dependsOn = ['volum']; }), expect: /^groups\.0\.resources\.2\.dependsOn\.0: unknown resource "volum" in group mail/ },
  { name: 'a self-dependency', raw: edit((c) => { group0(c).resources[0].dependsOn = ['volume']; }), expect: /^groups\.0\.resources\.0\.dependsOn\.0: a resource cannot depend on itself/ },
  { name: 'a dependency cycle', raw: edit((c) => { group0(c).resources[0].dependsOn = ['smtp']; }), expect: /^groups\.0\.resources: dependency cycle: volume -> smtp -> volume/ },
  { name: 'heartbeat timeout not longer than interval', raw: edit((c) => { c.heartbeat = { interval: '1s', timeout: '1s' }; }), expect: /^heartbeat\.timeout: must be longer than heartbeat\.interval \(1000 ms <= 1000 ms\)/ },
  { name: 'a lease TTL too short to renew', raw: edit((c) => { (c.arbiter as any).leaseTtl = '400ms'; }), expect: /^arbiter\.leaseTtl: must be longer than heartbeat\.interval/ },
  { name: 'a margin of half the TTL', raw: edit((c) => { (c.arbiter as any).leaseTtl = '2s'; (c.arbiter as any).margin = '1s'; }), expect: /^arbiter\.margin: must be more than 0 and less than half of leaseTtl \(got margin 1000 ms, leaseTtl 2000 ms\)/ },
  { name: 'a zero margin', raw: edit((c) => { (c.arbiter as any).margin = 0; }), expect: /^arbiter\.margin: must be longer than 0/ },
  { name: 'a margin that is not a duration', raw: edit((c) => { (c.arbiter as any).margin = 'a bit'; }), expect: /^arbiter\.margin: expected a duration/ },
  { name: 'an etcd lease under 2 s', raw: edit((c) => { c.arbiter = { type: 'etcd', endpoints: ['http://198.18.0.9:2379'], leaseTtl: '800ms' } as any; }), expect: /^arbiter\.leaseTtl: etcd leases are at least 2 s: leaseTtl \+ margin must be over 1 s \(got 800 \+ 133 ms\)/ },
  { name: 'a monitor timeout longer than its interval', raw: edit((c) => { group0(c).resources[2].monitors[0].interval = '2s'; }), expect: /^groups\.0\.resources\.2\.monitors\.0\.timeout: must not be longer than interval \(3000 ms > 2000 ms\)/ },
  { name: 'a recovery window shorter than the interval', raw: edit((c) => { group0(c).resources[2].monitors[0].recovery = { window: '1s' }; }), expect: /^groups\.0\.resources\.2\.monitors\.0\.recovery\.window: must be at least the monitor interval/ },
  { name: 'a duplicate monitor name', raw: edit((c) => { group0(c).resources[2].monitors.push({ name: 'm', kind: 'agent' }); }), expect: /^groups\.0\.resources\.2\.monitors\.1\.name: duplicate monitor name "m"/ },
  { name: 'a node monitor timeout longer than its interval', raw: edit((c) => { c.nodeMonitors = [{ name: 'gw', kind: 'ping', targets: ['198.18.0.254'], interval: '1s', timeout: '2s' }]; }), expect: /^nodeMonitors\.0\.timeout: must not be longer than interval/ },
  { name: 'a duplicate node monitor', raw: edit((c) => { c.nodeMonitors = [{ name: 'gw', kind: 'link', interface: 'eth0' }, { name: 'gw', kind: 'link', interface: 'eth1' }]; }), expect: /^nodeMonitors\.1\.name: duplicate monitor name "gw"/ },
  { name: 'a VIP used twice', raw: edit((c) => { group0(c).resources.push({ name: 'vip2', type: 'vip', params: { address: '198.18.0.100' } }); }), expect: /^groups\.0\.resources\.3\.params\.address: VIP 198\.18\.0\.100 is also used by mail\/vip/ },
  { name: 'a VIP equal to a node address', raw: edit((c) => { group0(c).resources[1].params.address = '198.18.0.2'; }), expect: /^groups\.0\.resources\.1\.params\.address: VIP 198\.18\.0\.2 is node sv2's real address/ },
];

for (const p of problems) {
  test(`validateClusterConfig() names the field for ${p.name}`, () => {
    const errors = errorsOf(p.raw);
    assert.ok(errors.some((e) => p.expect.test(e)), `got ${JSON.stringify(errors)}`);
  });
}

test('arbiter.margin: an explicit margin is kept, and the default follows leaseTtl', () => {
  const explicit = validateClusterConfig(edit((c) => { (c.arbiter as any).leaseTtl = '2s'; (c.arbiter as any).margin = '300ms'; }));
  assert.ok(explicit.ok, JSON.stringify(explicit));
  assert.equal(explicit.config.arbiter.margin, 300);
  const derived = validateClusterConfig(edit((c) => { c.arbiter = { type: 'etcd', endpoints: ['http://198.18.0.9:2379'], leaseTtl: '4s' } as any; }));
  assert.ok(derived.ok, JSON.stringify(derived));
  assert.equal(derived.config.arbiter.margin, 666);
  assert.ok(2 * derived.config.arbiter.margin < derived.config.arbiter.leaseTtl);
});

test('parseClusterConfig() reports YAML syntax errors with their line and never throws', () => {
  const r = parseClusterConfig('version: 1\ncluster: [unclosed\n');
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.errors[0] ?? '', /^\(yaml\) \(line \d+\): /);
  assert.equal(parseClusterConfig('').ok, false);
});

test('parseDuration() reads the documented units and rejects the rest', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('3s'), 3000);
  assert.equal(parseDuration('1.5m'), 90_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration(250), 250);
  assert.equal(parseDuration('3 days'), null);
  assert.equal(parseDuration(-1), null);
  assert.equal(parseDuration(1.5), null);
});
