// LDAP address-book search throughput: a fresh volume with N users (default 1000), the
// ldap service in its own process (tandem mail serve ldap), and ldapjs clients bound as
// a user sending Thunderbird-style prefix searches "(|(mail=x*)(cn=x*)(sn=x*))" one after
// another (1 client, then C clients in parallel). Reports searches/s and latency.
// Usage: node --import tsx bench/ldap.ts [--users 1000] [--searches 2000] [--clients 4]
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import type * as Ldapjs from 'ldapjs';
import { makeTestVolume } from '../test/helpers/volume.ts';
import { startServiceProcess } from '../test/helpers/process.ts';

const require = createRequire(import.meta.url);
const ldapjs = require('ldapjs') as typeof Ldapjs;

const { values } = parseArgs({ options: { users: { type: 'string', default: '1000' }, searches: { type: 'string', default: '2000' }, clients: { type: 'string', default: '4' } } });
const USERS = Number(values.users);
const SEARCHES = Number(values.searches);
const CLIENTS = Number(values.clients);

const LISTEN = {
  address: '127.0.0.1', smtp: { port: null }, submission: { port: null }, submissions: { port: null },
  pop3: { port: null }, pop3s: { port: null }, imap: { port: null }, imaps: { port: null },
  http: { port: null }, https: { port: null }, ldap: { port: 0 }, ldaps: { port: null }, password: { port: null },
};

const vol = await makeTestVolume({ listen: LISTEN, ldap: { sizeLimit: 100_000 } });
vol.directory.close();
// Users are inserted directly with alice's hash: hashing 1000 passwords would take minutes.
const db = new BetterSqlite3(vol.layout.accountsDb);
const hash = (db.prepare('SELECT password_hash FROM users WHERE address = ?').get('alice@demo.test') as { password_hash: string }).password_hash;
const insert = db.prepare(`INSERT INTO users (address, domain, local, password_hash, display_name, quota_bytes, enabled, created_at, updated_at)
  VALUES (?, 'demo.test', ?, ?, ?, 0, 1, 0, 0)`);
db.transaction(() => {
  for (let i = 0; i < USERS; i++) insert.run(`user${i}@demo.test`, `user${i}`, hash, `Given${i} Family${i % 97}`);
})();
db.close();

const svc = await startServiceProcess('ldap', vol.root, { env: { TANDEM_LOG_LEVEL: 'warn' } });
const url = `ldap://127.0.0.1:${svc.port()}`;

async function client(): Promise<Ldapjs.Client> {
  const c = ldapjs.createClient({ url });
  c.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => c.bind('alice@demo.test', 'wonderland', (e) => (e ? reject(e) : resolve())));
  return c;
}

function searchOnce(c: Ldapjs.Client, prefix: string): Promise<number> {
  return new Promise((resolve, reject) => {
    c.search('dc=demo,dc=test', { scope: 'sub', filter: `(|(mail=${prefix}*)(cn=${prefix}*)(sn=${prefix}*))`, attributes: ['cn', 'mail'] }, (err, res) => {
      if (err) return reject(err);
      let n = 0;
      res.on('searchEntry', () => { n++; });
      res.on('error', reject);
      res.on('end', () => resolve(n));
    });
  });
}

async function run(clients: number): Promise<void> {
  const cs = await Promise.all(Array.from({ length: clients }, client));
  const latencies: number[] = [];
  let found = 0;
  const perClient = Math.ceil(SEARCHES / clients);
  const t0 = performance.now();
  await Promise.all(cs.map(async (c, k) => {
    for (let i = 0; i < perClient; i++) {
      const prefix = `user${(i * 7 + k) % Math.max(1, Math.min(USERS, 100))}`;
      const s = performance.now();
      found += await searchOnce(c, prefix);
      latencies.push(performance.now() - s);
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!.toFixed(1);
  console.log(`${clients} client(s), ${USERS} users: ${latencies.length} searches in ${secs.toFixed(1)} s = ${(latencies.length / secs).toFixed(0)} searches/s; p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms; ${(found / latencies.length).toFixed(1)} entries per search`);
  await Promise.all(cs.map((c) => new Promise<void>((resolve) => c.unbind(() => resolve()))));
}

try {
  await run(1);
  await run(CLIENTS);
} finally {
  await svc.kill('SIGTERM');
  vol.cleanup();
}
