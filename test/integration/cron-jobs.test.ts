// Each cron job against a real test volume: expiry through the IMAP store (only old
// messages, UIDs consistent), quota warnings once per threshold, the daily delivery
// report, index maintenance, queue debris, and accounts snapshots taken while the
// database is being written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { MailIndexes } from '../../src/mail/imap/store/registry.ts';
import { listMaildir, deliverToMaildir, readMessage } from '../../src/mail/storage/maildir.ts';
import { addUsage } from '../../src/mail/storage/quota.ts';
import { appendDeliveryRecord, flushDeliveryRecords } from '../../src/mail/delivery/record.ts';
import { Directory } from '../../src/mail/directory/directory.ts';
import { readJobState } from '../../src/mail/cron/state.ts';
import { cronFixture, message, DAY } from './cron-harness.ts';

test('expireTrash expunges only old Trash/Junk messages through the index; UIDs stay consistent', async () => {
  const f = await cronFixture({ cron: { trashDays: 30, junkDays: 7 } });
  try {
    const now = Date.now();
    const indexes = new MailIndexes(f.vol.layout);
    const store = await indexes.user('demo.test', 'alice');
    const trash = await store.folder('Trash');
    const junk = await store.folder('Junk');
    const inbox = await store.folder('INBOX');
    const t1 = await trash.append(message('old trash'), [], now - 40 * DAY);
    const t2 = await trash.append(message('recent trash'), [], now - 2 * DAY);
    const t3 = await trash.append(message('old trash 2'), ['\\Seen'], now - 31 * DAY);
    const j1 = await junk.append(message('old junk'), [], now - 8 * DAY);
    const j2 = await junk.append(message('new junk'), [], now - 1 * DAY);
    await inbox.append(message('ancient inbox'), [], now - 400 * DAY);
    const uidNextBefore = trash.status().uidNext;
    await indexes.close();

    const r = await f.run('expireTrash', now);
    assert.equal(r.ok, true, r.summary);
    assert.match(r.summary, /^expunged 3 old messages from Trash\/Junk of \d+ mailboxes$/);

    // A fresh index (as another IMAP process would open it) sees the result.
    const again = new MailIndexes(f.vol.layout);
    const s2 = await again.user('demo.test', 'alice');
    const trash2 = await s2.folder('Trash');
    assert.deepEqual(trash2.messages().map((m) => m.uid), [t2.uid]);
    assert.deepEqual((await s2.folder('Junk')).messages().map((m) => m.uid), [j2.uid]);
    assert.equal((await s2.folder('INBOX')).messages().length, 1, 'INBOX is never expired');
    assert.equal(trash2.uidValidity, t1.uidValidity, 'UIDVALIDITY unchanged');
    const next = await trash2.append(message('after expiry'));
    assert.ok(next.uid >= uidNextBefore, `new UID ${next.uid} must not reuse expunged ones (< ${uidNextBefore})`);
    assert.ok(![t1.uid, t3.uid, j1.uid].includes(next.uid));
    await again.close();
  } finally {
    f.cleanup();
  }
});

test('quotaWarnings warns once per threshold, and again after usage dropped below', async () => {
  const f = await cronFixture();
  try {
    f.vol.directory.updateUser('bob@demo.test', { quotaBytes: 100_000 });
    const root = f.vol.layout.maildir('demo.test', 'bob');
    const inbox = async () => (await listMaildir(root)).length;
    const fill = async (bytes: number) => {
      const m = await deliverToMaildir(root, message('filler', bytes));
      await addUsage(root, { bytes: m.size, count: 1 });
      return m;
    };
    const big = await fill(81_000);
    assert.equal((await f.run('quotaWarnings')).summary, 'warned 1 users: bob@demo.test (80%)');
    assert.equal(await inbox(), 2);
    const warning = (await listMaildir(root)).find((m) => m.filename !== big.filename)!;
    const text = (await readMessage(warning.path)).toString();
    assert.match(text, /^Subject: Your mailbox is 80% full$/m);
    assert.match(text, /^To: <bob@demo\.test>$/m);
    assert.equal((await f.run('quotaWarnings')).summary, 'no new quota warnings', 'not twice for 80%');
    await fill(10_000); // 81 kB + the warning + 10 kB: past 90 %
    assert.equal((await f.run('quotaWarnings')).summary, 'warned 1 users: bob@demo.test (90%)');
    assert.equal((await f.run('quotaWarnings')).summary, 'no new quota warnings');
    // The user cleans up: usage drops below 80%, then crosses it again.
    for (const m of await listMaildir(root)) {
      const { unlink } = await import('node:fs/promises');
      await unlink(m.path);
    }
    await writeFile(join(root, 'maildirsize'), '100000S\n0 0\n');
    assert.equal((await f.run('quotaWarnings')).summary, 'no new quota warnings');
    await fill(85_000);
    assert.equal((await f.run('quotaWarnings')).summary, 'warned 1 users: bob@demo.test (80%)', 'warned again after dropping below');
    assert.equal((await f.run('quotaWarnings')).summary, 'no new quota warnings');
  } finally {
    f.cleanup();
  }
});

test('deliveryReport sums yesterday\'s delivery record and mails it to postmaster', async () => {
  const f = await cronFixture();
  try {
    f.vol.directory.addAlias('postmaster@demo.test', ['alice@demo.test']);
    const now = Date.UTC(2026, 10, 24, 6, 0);
    const yesterday = now - DAY;
    for (const r of [
      { t: yesterday, kind: 'received', stored: 2, queued: 1, failed: 0 },
      { t: yesterday + 1000, kind: 'received', stored: 0, queued: 0, failed: 1 },
      { t: yesterday + 2000, kind: 'deferred', recipients: 3 },
      { t: yesterday + 3000, kind: 'bounce', recipients: 1 },
      { t: now, kind: 'received', stored: 9, queued: 9, failed: 9 }, // today: not in this report
    ] as const) void appendDeliveryRecord(f.vol.layout, r);
    await flushDeliveryRecords();
    const r = await f.run('deliveryReport', now);
    assert.equal(r.ok, true, r.summary);
    assert.equal(r.summary, 'report for 2026-11-23 sent to postmaster@demo.test: 2 received, 2 stored, 1 queued, 1 refused, 3 deferred, 1 bounces');
    const mails = await listMaildir(f.vol.layout.maildir('demo.test', 'alice'));
    assert.equal(mails.length, 1);
    const text = (await readMessage(mails[0]!.path)).toString();
    assert.match(text, /^Subject: Delivery report for 2026-11-23 \(mail\.demo\.test\)\r?$/m);
    assert.match(text, /messages received {10}2/);
  } finally {
    f.cleanup();
  }
});

test('deliveryReport fails visibly when postmaster does not exist', async () => {
  const f = await cronFixture();
  try {
    const r = await f.run('deliveryReport');
    assert.equal(r.ok, false);
    assert.match(r.summary, /^failed: report for \d{4}-\d\d-\d\d could not be delivered to postmaster@demo\.test/);
    assert.equal((await readJobState(f.vol.layout, 'deliveryReport'))?.ok, false);
  } finally {
    f.cleanup();
  }
});

test('queueSweep removes old queue debris and leaves committed entries and fresh data', async () => {
  const f = await cronFixture();
  try {
    const q = f.vol.layout.queueDir;
    const old = (Date.now() - 3 * 3600_000) / 1000;
    await writeFile(join(q, 'orphan1.eml'), 'x');
    await utimes(join(q, 'orphan1.eml'), old, old);
    await writeFile(join(q, 'fresh.eml'), 'still receiving');
    await writeFile(join(q, 'entry.json.tmp-1-2-3'), '{');
    await utimes(join(q, 'entry.json.tmp-1-2-3'), old, old);
    await writeFile(join(q, 'kept.eml'), 'x');
    await writeFile(join(q, 'kept.json'), '{}');
    await utimes(join(q, 'kept.eml'), old, old);
    const r = await f.run('queueSweep');
    assert.match(r.summary, /^removed 2 debris files: /);
    assert.deepEqual((await readdir(q)).sort(), ['fresh.eml', 'kept.eml', 'kept.json']);
  } finally {
    f.cleanup();
  }
});

test('indexMaintenance checks every folder of every mailbox and leaves clean caches', async () => {
  const f = await cronFixture();
  try {
    const indexes = new MailIndexes(f.vol.layout);
    const store = await indexes.user('demo.test', 'alice');
    await store.create('Projects');
    await (await store.folder('INBOX')).append(message('one'));
    await indexes.close();
    await deliverToMaildir(f.vol.layout.maildir('demo.test', 'alice'), message('delivered behind the index'));
    const r = await f.run('indexMaintenance');
    assert.equal(r.ok, true, r.summary);
    assert.match(r.summary, /^checked 7 folders of 1 mailboxes$/); // INBOX, 5 special-use, Projects
    const again = new MailIndexes(f.vol.layout);
    assert.equal((await (await again.user('demo.test', 'alice')).folder('INBOX')).messages().length, 2);
    await again.close();
  } finally {
    f.cleanup();
  }
});

test('accountsSnapshot makes a valid SQLite copy while users are being added, and keeps the newest N', async () => {
  const f = await cronFixture({ cron: { snapshotsKeep: 2 } });
  try {
    const writer = Directory.open(f.vol.layout.accountsDb);
    let stop = false;
    let added = 0;
    const writes = (async () => {
      for (let i = 0; i < 200 && !stop; i++) {
        await writer.addUser({ address: `user${i}@demo.test`, password: 'pw-for-the-test' });
        added++;
      }
    })();
    const t0 = Date.UTC(2026, 10, 20, 2, 0);
    const runs = [];
    for (let i = 0; i < 3; i++) {
      runs.push(await f.run('accountsSnapshot', t0 + i * DAY));
      await new Promise((r) => setTimeout(r, 50));
    }
    stop = true;
    await writes;
    writer.close();
    for (const r of runs) assert.equal(r.ok, true, r.summary);
    const dir = join(f.vol.layout.dbDir, 'snapshots');
    const files = (await readdir(dir)).sort();
    assert.deepEqual(files, ['accounts-20261121T020000Z.sqlite', 'accounts-20261122T020000Z.sqlite']);
    let previous = 0;
    for (const name of files) {
      const db = new BetterSqlite3(join(dir, name), { readonly: true });
      try {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
        const n = (db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
        assert.ok(n >= 2 && n <= 2 + added, `${name}: ${n} users`);
        assert.ok(n >= previous, 'later snapshots have at least as many users');
        previous = n;
      } finally {
        db.close();
      }
    }
    const state = JSON.parse(await readFile(join(f.vol.layout.runDir, 'cron', 'accountsSnapshot.json'), 'utf8')) as { ok: boolean; finishedAt: number };
    assert.equal(state.ok, true);
  } finally {
    f.cleanup();
  }
});

test('a job already running in another process is not started twice', async () => {
  const f = await cronFixture();
  try {
    const { tryLockEntry } = await import('../../src/mail/queue/lock.ts');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(f.vol.layout.runDir, 'cron'), { recursive: true });
    // A live holder: this test process itself, as the service would be.
    const lock = await tryLockEntry(join(f.vol.layout.runDir, 'cron'), 'queueSweep');
    assert.ok(lock);
    const r = await f.run('queueSweep');
    assert.equal(r.ok, false);
    assert.equal(r.summary, 'queueSweep is already running in another process; not started');
    assert.equal(await readJobState(f.vol.layout, 'queueSweep'), null, 'no state written by the refused run');
    await lock.release();
    assert.equal((await f.run('queueSweep')).ok, true);
  } finally {
    f.cleanup();
  }
});
