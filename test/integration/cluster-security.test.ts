// The node channel and API refuse what they must: forged, replayed and stale heartbeats, and
// unsigned, wrongly signed or replayed API requests; a node whose configuration differs is
// shown with its differences and may not take a group; a synced file is written only when
// the receiver's own config lists its path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { deriveKeys, sealDatagram, signRequest } from '../../src/cluster/transport/auth.ts';
import { rpc } from '../../src/cluster/transport/rpc.ts';
import { ClusterHarness, eventually, SECRET } from '../helpers/cluster.ts';

function sendUdp(host: string, port: number, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.send(data, port, host, (err) => { s.close(); if (err) reject(err); else resolve(); });
  });
}

test('cluster security: forged and replayed messages are refused, config mismatch blocks a node, sync writes only listed paths', async () => {
  let syncTarget = '';
  const h = await new ClusterHarness({
    nodes: 3,
    groups: (c) => {
      syncTarget = join(c.dir, 'synced', 'settings.conf');
      return [
        { name: 'mail', nodes: ['sv1', 'sv2'], resources: [{ name: 'app', type: 'script', params: { start: '/bin/true', stop: '/bin/true', env: { MARKER_DIR: c.markers } } }] },
        { name: 'files', nodes: ['sv1', 'sv2'], startup: 'manual', resources: [{ name: 'settings', type: 'sync', params: { paths: [syncTarget] } }] },
      ];
    },
    // sv2 runs a configuration that differs in one field.
    configFor: (node, base) => (node === 'sv2' ? { ...base, groups: (base.groups as Array<Record<string, unknown>>).map((g) => (g.name === 'mail' ? { ...g, failbackDelay: '45s' } : g)) } : base),
  }).init();
  try {
    await h.start('sv1');
    await h.start('sv2');
    await eventually('mail running on sv1', async () => (await h.status('sv1')).groups[0]!.resources.sv1?.app === 'running', 30_000);

    // Config mismatch: seen, explained field by field, and the node may not take the group.
    const peer = await eventually('sv1 sees sv2 with a different config', async () => {
      const n = (await h.status('sv1')).nodes.find((x) => x.name === 'sv2')!;
      return n.reachable && !n.configHashMatches && Array.isArray(n.differences) ? n : null;
    }, 15_000);
    assert.deepEqual((peer.differences as Array<{ path: string }>).map((d) => d.path), ['groups.mail.failbackDelay']);
    const text = h.cli(['status'], 'sv1').stdout;
    assert.match(text, /sv2 .*CONFIG DIFFERS/);
    assert.match(text, /differs: groups\.mail\.failbackDelay: here 30000, there 45000/);
    const move = h.cli(['group', 'move', 'mail', '--to', 'sv2'], 'sv1');
    assert.notEqual(move.code, 0);
    assert.match(move.stderr, /refused: sv2's configuration differs/);
    assert.ok(h.events('sv1').some((e) => e.kind === 'config.mismatch' && e.subject === 'sv2'));

    // Heartbeats: an authentic one from sv3 (never started) is accepted once, its replay is
    // refused, a forged one (wrong secret) and a stale new boot are refused.
    const sv1 = h.nodes[0]!;
    const keys = deriveKeys('testcluster', SECRET);
    const report = { configHash: 'x', stopped: false, maintenance: false, failingMonitors: [], hears: [], groups: {}, operator: {} };
    const valid = sealDatagram(keys, { from: 'sv3', boot: 'b1', seq: 1, ts: Date.now(), body: report });
    await sendUdp(sv1.address, sv1.port, valid);
    await eventually('valid datagram accepted', async () => (await h.status('sv1')).nodes.find((n) => n.name === 'sv3')!.reachable, 5_000);
    await sendUdp(sv1.address, sv1.port, valid);
    await eventually('replay refused', async () => /sv3: replayed/.test((await h.status('sv1')).channel.lastRefusal ?? ''), 5_000);
    await sendUdp(sv1.address, sv1.port, sealDatagram(deriveKeys('testcluster', 'not-the-secret-at-all'), { from: 'sv3', boot: 'b2', seq: 1, ts: Date.now(), body: report }));
    await eventually('forgery refused', async () => /bad signature/.test((await h.status('sv1')).channel.lastRefusal ?? ''), 5_000);
    await sendUdp(sv1.address, sv1.port, sealDatagram(keys, { from: 'sv3', boot: 'b3', seq: 1, ts: Date.now() - 120_000, body: report }));
    await eventually('stale boot refused', async () => /stale timestamp/.test((await h.status('sv1')).channel.lastRefusal ?? ''), 5_000);

    // API: unsigned, wrongly signed and replayed requests get 401 with a reason.
    const url = `http://${sv1.address}:${sv1.port}/api/status`;
    const unsigned = await fetch(url);
    assert.equal(unsigned.status, 401);
    assert.match(await unsigned.text(), /not signed/);
    const forged = await rpc(deriveKeys('testcluster', 'not-the-secret-at-all'), 'cli', { host: sv1.address, port: sv1.port }, 'GET', '/api/status', null, 5_000);
    assert.equal(forged.ok, false);
    assert.equal(forged.status, 401);
    const headers = signRequest(keys, 'POST', '/api/broadcast', 'cli', JSON.stringify({ text: 'once' }));
    const post = (): Promise<Response> => fetch(`http://${sv1.address}:${sv1.port}/api/broadcast`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ text: 'once' }) });
    assert.equal((await post()).status, 200);
    const replayed = await post();
    assert.equal(replayed.status, 401);
    assert.match(await replayed.text(), /replayed/);
    const bearer = await fetch(url, { headers: { authorization: `Bearer ${keys.bearer}` } });
    assert.equal(bearer.status, 200);

    // Sync: the receiver writes a listed path durably with mode and mtime, refuses others.
    const file = { group: 'files', resource: 'settings', path: syncTarget, data: Buffer.from('key=value\n').toString('base64'), mode: 0o640, mtimeMs: 1_700_000_000_000 };
    const wrote = await h.api<{ ok: boolean }>('sv2', 'POST', '/peer/file', file);
    assert.equal(wrote.ok, true);
    assert.equal(readFileSync(syncTarget, 'utf8'), 'key=value\n');
    assert.equal(statSync(syncTarget).mode & 0o777, 0o640);
    assert.equal(statSync(syncTarget).mtimeMs, 1_700_000_000_000);
    const elsewhere = join(h.dir, 'not-listed');
    await assert.rejects(h.api('sv2', 'POST', '/peer/file', { ...file, path: elsewhere }), /403 .*not listed in any sync resource/);
    await assert.rejects(h.api('sv2', 'POST', '/peer/file', { ...file, path: `${syncTarget}/../../x` }), /403/);
    assert.ok(!existsSync(elsewhere));
  } finally {
    await h.cleanup();
  }
});
