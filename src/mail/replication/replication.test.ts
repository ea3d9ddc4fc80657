// The feed's batches and their application, on two real account databases: what a master
// serves is what a slave ends up with, for every kind of change, in any batch size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Directory } from '../directory/directory.ts';
import { readBatch, compactChangeLog, databaseId } from './changelog.ts';
import { applyBatch, readFollowState } from './apply.ts';
import { batch as batchSchema } from './records.ts';

function pair(): { master: Directory; slave: Directory; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), 'tandem-repl-'));
  const master = Directory.open(join(root, 'master.sqlite'));
  const slave = Directory.open(join(root, 'slave.sqlite'));
  return { master, slave, cleanup() { master.close(); slave.close(); rmSync(root, { recursive: true, force: true }); } };
}

/** Runs the follower's loop body until the slave is current; returns the batches it took. */
function sync(master: Directory, slave: Directory, limit?: number): number {
  let rounds = 0;
  for (;;) {
    const state = readFollowState(slave.database);
    const b = readBatch(master.database, { since: state.version, dbId: state.masterDbId, system: 'tokyo', limit });
    // Through JSON and the schema, exactly as the wire carries it.
    applyBatch(slave.database, batchSchema.parse(JSON.parse(JSON.stringify(b))), 'osaka');
    rounds++;
    if (!b.more) return rounds;
    assert.ok(rounds < 1000, 'sync does not converge');
  }
}

function dump(d: Directory): unknown {
  return {
    domains: d.listDomains().map((x) => ({ name: x.name, catchall: x.catchall })),
    users: d.listUsers().map((u) => ({ ...u, home: u.home ?? 'tokyo' })),
    aliases: d.listAliases(),
    lists: d.listLists(),
  };
}

test('a new slave gets every account, and logs in its users with their master passwords', async () => {
  const { master, slave, cleanup } = pair();
  try {
    master.addDomain('example.com');
    await master.addUser({ address: 'alice@example.com', password: 'correct horse', displayName: 'Alice' });
    master.addAlias('info@example.com', ['alice@example.com', 'someone@elsewhere.example']);
    master.addList({ address: 'team@example.com', description: 'Team', posting: 'anyone' });
    master.addListMember('team@example.com', 'alice@example.com', 'moderator');
    master.setCatchall('example.com', 'alice@example.com');
    sync(master, slave);
    assert.deepEqual(dump(slave), dump(master));
    assert.equal((await slave.authenticate('alice@example.com', 'correct horse'))?.address, 'alice@example.com');
    assert.equal(await slave.authenticate('alice@example.com', 'wrong'), null);
    assert.equal(readFollowState(slave.database).masterDbId, databaseId(master.database));
  } finally {
    cleanup();
  }
});

test('updates and deletions follow incrementally, in batches of any size', async () => {
  for (const limit of [1, 2, 1000]) {
    const { master, slave, cleanup } = pair();
    try {
      master.addDomain('example.com');
      master.addDomain('old.example');
      for (const n of ['a', 'b', 'c']) await master.addUser({ address: `${n}@example.com`, password: `password-${n}-123` });
      master.addAlias('x@old.example', ['a@example.com']);
      sync(master, slave, limit);
      // Each kind of change, some to the same account twice.
      master.updateUser('a@example.com', { displayName: 'A. Person', quotaBytes: 1000 });
      await master.setPassword('b@example.com', 'a new password 42');
      master.deleteUser('c@example.com');
      master.deleteAlias('x@old.example');
      master.deleteDomain('old.example');
      master.addList({ address: 'l@example.com' });
      master.addListMember('l@example.com', 'a@example.com');
      master.addListMember('l@example.com', 'b@example.com');
      master.removeListMember('l@example.com', 'a@example.com');
      master.updateUser('a@example.com', { enabled: false });
      const rounds = sync(master, slave, limit);
      assert.ok(limit > 1 || rounds > 1, 'a limit of 1 takes several batches');
      assert.deepEqual(dump(slave), dump(master), `limit ${limit}`);
      assert.ok(await slave.authenticate('b@example.com', 'a new password 42'));
      assert.equal(await slave.authenticate('a@example.com', 'password-a-123'), null, 'disabled on the master, disabled here');
    } finally {
      cleanup();
    }
  }
});

test('a slave at the current version gets an empty batch; compaction loses nothing', async () => {
  const { master, slave, cleanup } = pair();
  try {
    master.addDomain('example.com');
    for (let i = 0; i < 5; i++) await master.addUser({ address: `u${i}@example.com`, password: 'long enough pw' });
    sync(master, slave);
    const state = readFollowState(slave.database);
    const empty = readBatch(master.database, { since: state.version, dbId: state.masterDbId, system: 'tokyo' });
    assert.equal(empty.changes.length, 0);
    assert.equal(empty.full, false);
    for (let i = 0; i < 5; i++) master.updateUser(`u${i}@example.com`, { displayName: `User ${i}` });
    assert.ok(compactChangeLog(master.database) >= 5, 'superseded entries are dropped');
    sync(master, slave);
    assert.deepEqual(dump(slave), dump(master));
  } finally {
    cleanup();
  }
});

test('a replaced master database (or one behind the slave) triggers a full resync that removes what it lacks', async () => {
  const { master, slave, cleanup } = pair();
  const root = mkdtempSync(join(tmpdir(), 'tandem-repl2-'));
  const restored = Directory.open(join(root, 'restored.sqlite'));
  try {
    master.addDomain('example.com');
    await master.addUser({ address: 'keep@example.com', password: 'long enough pw' });
    await master.addUser({ address: 'gone@example.com', password: 'long enough pw' });
    sync(master, slave);
    restored.addDomain('example.com');
    await restored.addUser({ address: 'keep@example.com', password: 'long enough pw' });
    const b = readBatch(restored.database, { ...readFollowState(slave.database), since: readFollowState(slave.database).version, dbId: readFollowState(slave.database).masterDbId, system: 'tokyo' });
    assert.equal(b.full, true, 'another database id means a full snapshot');
    applyBatch(slave.database, b, 'osaka');
    assert.deepEqual(slave.listUsers().map((u) => u.address), ['keep@example.com']);
    // Same database, but the slave claims a version it never reached: also full.
    const ahead = readBatch(restored.database, { since: 1_000_000, dbId: databaseId(restored.database), system: 'tokyo' });
    assert.equal(ahead.full, true);
  } finally {
    restored.close();
    rmSync(root, { recursive: true, force: true });
    cleanup();
  }
});

test('home systems: the master names itself, and the slave stores its own users as local', async () => {
  const { master, slave, cleanup } = pair();
  try {
    master.addDomain('example.com');
    await master.addUser({ address: 'tokyo-user@example.com', password: 'long enough pw' });
    await master.addUser({ address: 'osaka-user@example.com', password: 'long enough pw' });
    master.database.prepare("UPDATE users SET home = 'osaka' WHERE address = 'osaka-user@example.com'").run();
    sync(master, slave);
    assert.equal(slave.getUser('tokyo-user@example.com')?.home, 'tokyo', 'the master\'s own users are homed at the master');
    assert.equal(slave.getUser('osaka-user@example.com')?.home, null, 'the slave\'s users are local there');
  } finally {
    cleanup();
  }
});

test('a slave directory refuses account changes and names its master', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tandem-repl3-'));
  const d = Directory.open(join(root, 'a.sqlite'), { replicaOf: 'https://master.example:8443' });
  try {
    assert.throws(() => d.addDomain('example.com'), /replication slave: accounts are managed on the master \(https:\/\/master\.example:8443\)/);
    await assert.rejects(d.setPassword('a@example.com', 'whatever long'), /replication slave/);
  } finally {
    d.close();
    rmSync(root, { recursive: true, force: true });
  }
});
