// The console section of the cluster config: defaults, the hash format, and the checks
// that relate it to the nodes (unknown nodes, duplicate users, cleartext on a network).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateClusterConfig } from './config.ts';
import { consolePort, DEFAULT_CONSOLE_PORT } from './console-schema.ts';

const HASH = '$scrypt$ln=15,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=';
function config(addresses: string[][], console: unknown) {
  return {
    version: 1, cluster: { name: 'c', secret: '0123456789abcdef0' },
    nodes: addresses.map((a, i) => ({ name: `sv${i + 1}`, addresses: a })),
    arbiter: { type: 'disk', path: '/srv/arbiter' }, console,
  };
}
const errors = (raw: unknown): string[] => { const r = validateClusterConfig(raw); return r.ok ? [] : r.errors; };

test('defaults: port 7480, sessions 30 min idle and 12 h, throttling 5 per user and 10 per address in 300 s', () => {
  const r = validateClusterConfig(config([['127.0.0.1'], ['127.0.0.2']], { users: [{ name: 'admin', passwordHash: HASH }], nodes: { sv2: { port: 7481 } } }));
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const c = r.config.console!;
  assert.equal(c.port, DEFAULT_CONSOLE_PORT);
  assert.equal(consolePort(c, 'sv1'), 7480);
  assert.equal(consolePort(c, 'sv2'), 7481);
  assert.deepEqual([c.sessionIdleMinutes, c.sessionMaxHours, c.plaintext], [30, 12, false]);
  assert.deepEqual(c.login, { maxFailuresPerUser: 5, maxFailuresPerIp: 10, windowSeconds: 300 });
});

test('no console section: no console', () => {
  const r = validateClusterConfig(config([['198.18.0.1']], undefined));
  assert.ok(r.ok && r.config.console === undefined);
});

test('a cleartext console on a network address is refused unless plaintext: true or tls', () => {
  const users = [{ name: 'admin', passwordHash: HASH }];
  assert.match(errors(config([['198.18.0.1'], ['127.0.0.2']], { users })).join('\n'), /^console\.tls: the console carries passwords and session cookies: .*\(not loopback: sv1 198\.18\.0\.1\)$/m);
  assert.deepEqual(errors(config([['198.18.0.1']], { users, plaintext: true })), []);
  assert.deepEqual(errors(config([['198.18.0.1']], { users, tls: { cert: '/etc/c.pem', key: '/etc/k.pem' } })), []);
  assert.deepEqual(errors(config([['::1'], ['127.0.0.9']], { users })), []);
});

test('bad users and unknown nodes name their field', () => {
  const e = errors(config([['127.0.0.1']], {
    users: [{ name: 'admin', passwordHash: HASH }, { name: 'admin', passwordHash: HASH }, { name: 'x y', passwordHash: 'secret' }],
    nodes: { sv7: { port: 1 } },
  })).join('\n');
  assert.match(e, /console\.users\.2\.name: must be 1-64 letters/);
  assert.match(e, /console\.users\.2\.passwordHash: must be an scrypt hash as printed by `tandem cluster console-password`/);
  const e2 = errors(config([['127.0.0.1']], { users: [{ name: 'admin', passwordHash: HASH }, { name: 'admin', passwordHash: HASH }], nodes: { sv7: { port: 1 } } })).join('\n');
  assert.match(e2, /console\.users\.1\.name: duplicate user "admin"/);
  assert.match(e2, /console\.nodes\.sv7: unknown node "sv7" \(not in nodes\)/);
  assert.match(errors(config([['127.0.0.1']], { users: [] })).join('\n'), /console\.users: must list at least one user/);
  assert.match(errors(config([['127.0.0.1']], { users: [{ name: 'admin', passwordHash: HASH }], colour: 'blue' })).join('\n'), /console: Unrecognized key/i);
});
