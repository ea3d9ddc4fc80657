// A mail service that cannot start says why in words an operator can act on (the VIP is
// not up, the port is taken), with exit code 1 and no stack trace: S14 binds every service
// to the VIP only, so "address not on this host" is the first thing a misconfigured node shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { rmSync } from 'node:fs';
import { makeTestVolume } from '../helpers/volume.ts';
import { TANDEM_BIN } from '../helpers/process.ts';

function serve(service: string, root: string): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [TANDEM_BIN, 'mail', 'serve', service, '--data', root], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stderr: r.stderr };
}

test('a service bound to an address this host does not have explains it and exits 1', { timeout: 90_000 }, async () => {
  // 198.18.0.250: the benchmarking range, on no interface of this host (nothing is sent).
  const vol = await makeTestVolume({ listen: { address: '198.18.0.250', smtp: { port: 2525 }, submission: { port: null }, submissions: { port: null }, pop3: { port: null }, pop3s: { port: null }, imap: { port: null }, imaps: { port: null }, http: { port: null }, https: { port: null }, ldap: { port: null }, ldaps: { port: null }, password: { port: null } } });
  try {
    const r = serve('smtp', vol.root);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /smtp: cannot listen on 198\.18\.0\.250:2525: the address is not on this host \(in a cluster, the VIP must be up/);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  } finally {
    vol.cleanup();
  }
});

test('a service whose port is taken says so', { timeout: 90_000 }, async () => {
  const blocker = createServer();
  const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)));
  const vol = await makeTestVolume({ listen: { address: '127.0.0.1', smtp: { port: null }, submission: { port: null }, submissions: { port: null }, pop3: { port }, pop3s: { port: null }, imap: { port: null }, imaps: { port: null }, http: { port: null }, https: { port: null }, ldap: { port: null }, ldaps: { port: null }, password: { port: null } } });
  try {
    const r = serve('pop3', vol.root);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`pop3: cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use`));
  } finally {
    blocker.close();
    vol.cleanup();
  }
});

test('a service whose TLS certificate file is missing names the file', { timeout: 90_000 }, async () => {
  const vol = await makeTestVolume();
  try {
    const cert = vol.layout.cfgPath('tls/cert.pem');
    rmSync(cert);
    const r = serve('pop3', vol.root);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.stderr.includes(`pop3: cannot read ${cert}: no such file`), r.stderr);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  } finally {
    vol.cleanup();
  }
});
