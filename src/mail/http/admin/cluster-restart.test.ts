// Which name the admin restart asks the node daemon for, and when restart is offered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClusterConfig } from '../../../cluster/model/config.ts';
import { clusterLink, restartAvailability, restartName, restartThroughCluster, RESTART_STANDALONE_REASON } from './cluster-restart.ts';
import { isTandemError } from '../../../lib/errors.ts';

const CONFIG = `
version: 1
cluster: { name: c, secret: 0123456789abcdef0123456789 }
nodes: [{ name: sv1, addresses: [127.0.0.1] }, { name: sv2, addresses: [127.0.0.2] }]
arbiter: { type: disk, path: /tmp/arbiter }
groups:
  - name: mail
    nodes: [sv1, sv2]
    resources:
      - { name: vip, type: vip, params: { address: 127.0.0.100, driver: loopback } }
      - { name: mail-smtp, type: service, params: { command: [tandem, mail, serve, smtp, --data, /srv/mail] } }
      - { name: imap, type: service, params: { command: [/usr/local/bin/run-imap] } }
  - name: other
    nodes: [sv2, sv1]
    resources:
      - { name: pop3, type: service, params: { command: [tandem, mail, serve, pop3, --data, /srv/other] } }
`;

function config() {
  const r = parseClusterConfig(CONFIG);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.config;
}

test('restartName: the service resource that runs "serve NAME" or is named NAME, in our group; else the svc load name', () => {
  const c = config();
  assert.equal(restartName(c, 'mail', 'smtp'), 'mail/mail-smtp');
  assert.equal(restartName(c, 'mail', 'imap'), 'mail/imap');
  assert.equal(restartName(c, 'mail', 'pop3'), 'pop3', 'another group\'s resource is not ours');
  assert.equal(restartName(c, null, 'pop3'), 'other/pop3', 'without a group (svc load), any group');
  assert.equal(restartName(c, 'mail', 'ldap'), 'ldap');
});

test('standalone (no cluster in the environment): restart is not offered, and refused with the reason', async () => {
  assert.equal(clusterLink({}), null);
  assert.equal(clusterLink({ TANDEM_CLUSTER_CONFIG: '/etc/tandem/cluster.yaml' }), null, 'a node is needed too');
  assert.deepEqual(clusterLink({ TANDEM_CLUSTER_CONFIG: '/c.yaml', TANDEM_NODE: 'sv1', TANDEM_GROUP: 'mail' }), { configPath: '/c.yaml', node: 'sv1', group: 'mail' });
  assert.deepEqual(restartAvailability(null), { available: false, reason: RESTART_STANDALONE_REASON });
  assert.equal(restartAvailability({ configPath: '/c.yaml', node: 'sv1', group: null }).available, true);
  await assert.rejects(restartThroughCluster(null, 'smtp'), (e: unknown) => isTandemError(e, 'not-possible'));
  await assert.rejects(restartThroughCluster(null, 'nosuch'), (e: unknown) => isTandemError(e, 'invalid') && /unknown service "nosuch"/.test((e as Error).message));
  await assert.rejects(restartThroughCluster({ configPath: '/nonexistent/cluster.yaml', node: 'sv1', group: null }, 'smtp'), /cannot read the cluster configuration \/nonexistent\/cluster.yaml: ENOENT/);
});
