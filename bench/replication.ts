// `npm run bench:replication`: how soon an account change on a master is applied on a
// slave. A master feed (real HTTPS, long poll) and a slave follower in one process, each
// on its own accounts database; N display-name changes on the master, one at a time, each
// made while the slave waits in its long poll and timed until the slave's database shows it. Prints median, p95 and max.
// Options: --changes N (default 50).
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generate as generateCert } from 'selfsigned';
import { X509Certificate } from 'node:crypto';
import { Directory } from '../src/mail/directory/directory.ts';
import { startFeedServer } from '../src/mail/replication/feed-server.ts';
import { startFollower, normalizeFingerprint } from '../src/mail/replication/follower.ts';
import { createToken } from '../src/mail/replication/tokens.ts';
import { parseCidr } from '../src/lib/cidr.ts';
import { logger } from '../src/lib/log.ts';

const { values } = parseArgs({ options: { changes: { type: 'string', default: '50' } } });
const changes = Number(values.changes);
const root = mkdtempSync(join(tmpdir(), 'tandem-bench-repl-'));
const log = logger('bench').child({}, { level: 'silent' });
const master = Directory.open(join(root, 'master.sqlite'));
const slave = Directory.open(join(root, 'slave.sqlite'));
const pems = await generateCert([{ name: 'commonName', value: 'master.test' }], { keySize: 2048 });
const feed = await startFeedServer({
  db: master.database, system: 'tokyo', accessNet: [parseCidr('127.0.0.0/8')],
  tls: { cert: Buffer.from(pems.cert), key: Buffer.from(pems.private) }, host: '127.0.0.1', port: 0, log,
});
master.addDomain('example.com');
await master.addUser({ address: 'u@example.com', password: 'a long password' });
const follower = startFollower({
  db: slave.database, system: 'osaka', masterUrl: `https://${feed.address}`, token: createToken(master.database, 'osaka'),
  // Pinned like a production slave pins a self-signed master (accounts.master.fingerprint).
  fingerprint: normalizeFingerprint(new X509Certificate(pems.cert).fingerprint256), waitSeconds: 25, localAddress: null, statusFile: join(root, 'status.json'), log,
});
try {
  const until = async (name: string): Promise<void> => {
    const end = Date.now() + 30_000;
    while (slave.getUser('u@example.com')?.displayName !== name) {
      if (Date.now() > end) throw new Error(`slave never showed ${name}: ${JSON.stringify(follower.status())}`);
      await sleep(2);
    }
  };
  await until('');
  const times: number[] = [];
  for (let i = 1; i <= changes; i++) {
    // Let the follower park in its long poll first, as between real changes.
    await sleep(300 + Math.random() * 300);
    const t0 = performance.now();
    master.updateUser('u@example.com', { displayName: `name ${i}` });
    await until(`name ${i}`);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const q = (p: number): string => times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)]!.toFixed(0);
  console.log(`account change on the master -> applied on the slave, ${changes} changes: median ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${q(1)} ms`);
} finally {
  await follower.stop();
  await feed.close();
  master.close();
  slave.close();
  rmSync(root, { recursive: true, force: true });
}
