// Config identity (S12): the hash ignores spelling and key order but not values, and
// diffConfigs() says what differs in readable paths, by name, hiding the secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configHash, diffConfigs, validateClusterConfig, type ClusterConfig } from './config.ts';
import { canonicalJson } from './config-hash.ts';

const RAW = {
  version: 1,
  cluster: { name: 'c', secret: 'sixteen-chars-or-more' },
  nodes: [{ name: 'sv1', addresses: ['198.18.0.1'] }, { name: 'sv2', addresses: ['198.18.0.2'] }],
  arbiter: { type: 'disk', path: '/srv/arb', leaseTtl: '3s' },
  groups: [{ name: 'mail', nodes: ['sv1', 'sv2'], resources: [{ name: 'vip', type: 'vip', params: { address: '198.18.0.100' } }] }],
};
function config(f: (c: typeof RAW) => void = () => {}): ClusterConfig {
  const raw = structuredClone(RAW);
  f(raw);
  const r = validateClusterConfig(raw);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.config;
}

test('configHash() is the same for the same config written differently', () => {
  const a = config();
  const b = config((c) => { c.arbiter = { leaseTtl: 3000, path: '/srv/arb', type: 'disk' } as unknown as typeof c.arbiter; });
  assert.match(configHash(a), /^[0-9a-f]{64}$/);
  assert.equal(configHash(a), configHash(b));
  assert.deepEqual(diffConfigs(a, b), []);
});

test('configHash() changes with any value, including the priority order of a group', () => {
  const a = config();
  assert.notEqual(configHash(a), configHash(config((c) => { c.groups[0]!.nodes = ['sv2', 'sv1']; })));
  assert.notEqual(configHash(a), configHash(config((c) => { c.arbiter.leaseTtl = '4s'; })));
});

test('canonicalJson() sorts keys at every level and keeps array order', () => {
  assert.equal(canonicalJson({ b: [2, 1], a: { d: 1, c: null } }), '{"a":{"c":null,"d":1},"b":[2,1]}');
});

test('diffConfigs() names differing fields by group, resource and node name', () => {
  const a = config();
  const b = config((c) => {
    (c.groups[0]!.resources[0]!.params as { address: string }).address = '198.18.0.101';
    c.nodes[1]!.addresses = ['198.18.0.3'];
    c.groups[0]!.nodes = ['sv2', 'sv1'];
  });
  assert.deepEqual(diffConfigs(a, b), [
    { path: 'groups.mail.nodes', a: ['sv1', 'sv2'], b: ['sv2', 'sv1'] },
    { path: 'groups.mail.resources.vip.params.address', a: '198.18.0.100', b: '198.18.0.101' },
    { path: 'nodes.sv2.addresses', a: ['198.18.0.2'], b: ['198.18.0.3'] },
  ]);
});

test('diffConfigs() reports added and removed entries and a changed order of named lists', () => {
  const a = config();
  const b = config((c) => { c.nodes.reverse(); c.nodes.push({ name: 'sv3', addresses: ['198.18.0.3'] }); });
  assert.deepEqual(diffConfigs(a, b), [
    { path: 'nodes.sv3', a: undefined, b: { name: 'sv3', addresses: ['198.18.0.3'] } },
    { path: 'nodes.(order)', a: ['sv1', 'sv2'], b: ['sv2', 'sv1'] },
  ]);
});

test('diffConfigs() says the secret differs without showing it', () => {
  const d = diffConfigs(config(), config((c) => { c.cluster.secret = 'another-secret-of-length'; }));
  assert.deepEqual(d, [{ path: 'cluster.secret', a: '(hidden)', b: '(hidden, different)' }]);
  assert.ok(!JSON.stringify(d).includes('another-secret'));
});
