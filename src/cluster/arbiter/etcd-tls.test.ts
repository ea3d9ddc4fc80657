// The etcd arbiter over TLS (https:// endpoints) against a real etcd serving a certificate
// from a throw-away CA: trusted through GRPC_DEFAULT_SSL_ROOTS_FILE_PATH (how a node trusts a
// private CA today: set in the daemon's environment) or the `credentials` option; a client
// that does not trust the CA gets nothing but timeouts. The env variable is read when gRPC
// loads, so it is set before the arbiter module is imported.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEtcd, type EtcdServer } from '../../../test/helpers/etcd.ts';
import type { Arbiter } from './lease.ts';

let dir = '';
let etcd: EtcdServer | null = null;

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A CA and a server certificate for 127.0.0.1 signed by it; a second CA that signed nothing. */
async function makeCertificates(): Promise<void> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=tandem-test-ca']);
  openssl(['req', '-x509', ...ec, '-keyout', 'other.key', '-out', 'other.pem', '-days', '1', '-subj', '/CN=someone-else']);
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  await writeFile(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'san.ext']);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-etcd-tls-'));
  await makeCertificates();
  etcd = await startEtcd({ tls: { certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key') } });
  process.env.GRPC_DEFAULT_SSL_ROOTS_FILE_PATH = join(dir, 'ca.pem');
});

after(async () => {
  await etcd?.stop();
  await rm(dir, { recursive: true, force: true });
});

const timing = { ttlMs: 1_900, marginMs: 100 };

/** Acquires, retrying while etcd elects itself (bounded); null when it never succeeds. */
async function acquireSoon(a: Arbiter, tries: number): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    const r = await a.acquire(`g${i}`, 'sv1');
    if (r.ok) return (await a.renew(r.lease)).ok;
    await sleep(200);
  }
  return false;
}

test('etcd arbiter over TLS: https endpoints work when the CA is trusted (environment or credentials option)', async () => {
  assert.match(etcd!.endpoint, /^https:/);
  const { EtcdArbiter } = await import('./etcd.ts');
  const viaEnv = new EtcdArbiter({ endpoints: [etcd!.endpoint], cluster: 'tls', ...timing });
  try {
    assert.ok(await acquireSoon(viaEnv, 50), `no lease over TLS: ${String(viaEnv.lastError)}`);
  } finally {
    viaEnv.close();
  }
  const viaOption = new EtcdArbiter({ endpoints: [etcd!.endpoint], cluster: 'tls2', ...timing, credentials: { rootCertificate: await readFile(join(dir, 'ca.pem')) } });
  try {
    assert.ok(await acquireSoon(viaOption, 50), `no lease over TLS: ${String(viaOption.lastError)}`);
  } finally {
    viaOption.close();
  }
});

test('etcd arbiter over TLS: a client that does not trust the server certificate gets no lease', async () => {
  const { EtcdArbiter } = await import('./etcd.ts');
  const wrongCa = new EtcdArbiter({ endpoints: [etcd!.endpoint], cluster: 'tls3', ...timing, callTimeoutMs: 500, credentials: { rootCertificate: await readFile(join(dir, 'other.pem')) } });
  try {
    assert.equal(await acquireSoon(wrongCa, 5), false);
    assert.ok(wrongCa.lastError, 'the failure is kept');
  } finally {
    wrongCa.close();
  }
});
