import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, renameSync, unlinkSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FolderIndex } from './folder-index.ts';
import { deliverToMaildir } from '../../storage/maildir.ts';
import { withTempRoot, MESSAGE } from './_test-folder.ts';

const open = (root: string, cache: string): Promise<FolderIndex> => FolderIndex.open(root, join(cache, 'INBOX.json'), root);

test('sync() gives UIDs in delivery order and moves new/ into cur/', () => withTempRoot(async (root, cache) => {
  const a = await deliverToMaildir(root, MESSAGE, { now: 1_700_000_000_000 });
  const b = await deliverToMaildir(root, MESSAGE, { now: 1_700_000_001_000 });
  const ix = await open(root, cache);
  assert.deepEqual(ix.messages().map((m) => [m.uid, m.id]), [[1, a.id], [2, b.id]]);
  assert.deepEqual(readdirSync(join(root, 'new')), []);
  assert.equal(readdirSync(join(root, 'cur')).length, 2);
  assert.equal(Math.floor(ix.messages()[0]!.time), a.time);
  assert.equal(ix.messages()[0]!.size, MESSAGE.length);
}));

test('append() is durable, returns APPENDUID data and keeps the flags in the file name', () => withTempRoot(async (root, cache) => {
  const ix = await open(root, cache);
  const r = await ix.append(MESSAGE, ['\\Seen', '$Forwarded'], 1_600_000_000_000);
  assert.equal(r.uidValidity, ix.uidValidity);
  assert.equal(r.uid, 1);
  const [m] = ix.messages();
  assert.deepEqual(ix.flagsOf(m!), ['\\Seen', '$Forwarded']);
  assert.match(readdirSync(join(root, 'cur'))[0]!, /:2,Sa$/);
  assert.equal(readFileSync(join(root, 'dovecot-keywords'), 'utf8'), '0 $Forwarded\n');
  assert.equal(Math.floor(m!.time), 1_600_000_000_000);
}));

test('setFlags() renames the file, bumps MODSEQ, and honours UNCHANGEDSINCE', () => withTempRoot(async (root, cache) => {
  const ix = await open(root, cache);
  await ix.append(MESSAGE);
  await ix.append(MESSAGE);
  const before = ix.messages()[1]!.modseq;
  const r = await ix.setFlags([1, 2], 'add', ['\\Flagged'], before - 1);
  assert.deepEqual(r.failed, [2]);
  assert.deepEqual(r.changed.map((m) => m.uid), [1]);
  assert.ok(r.changed[0]!.modseq > before);
  assert.ok(readdirSync(join(root, 'cur')).some((f) => f.endsWith(':2,F')));
  assert.deepEqual((await ix.setFlags([1], 'add', ['\\Flagged'])).changed, [], 'no change, no MODSEQ bump');
}));

test('changes by other programs are seen: POP3 deletions, another MUA\'s renames, deliveries', () => withTempRoot(async (root, cache) => {
  const ix = await open(root, cache);
  await ix.append(MESSAGE, ['\\Seen']);
  await ix.append(MESSAGE);
  const events: unknown[] = [];
  ix.on('change', (c) => events.push(c));
  const [m1, m2] = ix.messages();
  unlinkSync(ix.pathOf(m1!));
  renameSync(ix.pathOf(m2!), join(root, 'cur', `${m2!.filename.split(':2,')[0]}:2,RS`));
  await deliverToMaildir(root, MESSAGE);
  const c = await ix.sync(true);
  assert.deepEqual([c.added, c.expunged, c.flagged], [[3], [1], [2]]);
  assert.deepEqual(ix.flagsOf(ix.messages()[0]!), ['\\Answered', '\\Seen']);
  assert.equal(events.length, 1);
  assert.deepEqual(ix.vanishedSince(0).uids, [1]);
}));

test('expunge() removes only \\Deleted messages (within the given UIDs) and updates STATUS', () => withTempRoot(async (root, cache) => {
  const ix = await open(root, cache);
  for (let i = 0; i < 3; i++) await ix.append(MESSAGE, ['\\Deleted']);
  await ix.append(MESSAGE);
  assert.deepEqual(await ix.expunge([2, 3, 4]), [2, 3]);
  assert.deepEqual(await ix.expunge(), [1]);
  const s = ix.status();
  assert.deepEqual({ ...s, uidValidity: 0 }, { messages: 1, uidNext: 5, uidValidity: 0, unseen: 1, size: MESSAGE.length, highestModseq: s.highestModseq });
  assert.equal(readdirSync(join(root, 'cur')).length + readdirSync(join(root, 'new')).length, 1);
}));

test('losing index/ keeps UIDs; losing the uidlist gives a new UIDVALIDITY, never old UIDs', () => withTempRoot(async (root, cache) => {
  const ix = await open(root, cache);
  await ix.append(MESSAGE);
  await ix.append(MESSAGE);
  await ix.expunge([1], { onlyDeleted: false });
  const seenModseq = ix.highestModseq;
  rmSync(cache, { recursive: true, force: true });
  const again = await open(root, cache);
  assert.equal(again.uidValidity, ix.uidValidity);
  assert.ok(again.highestModseq > seenModseq, 'HIGHESTMODSEQ never goes down, even without the cache');
  assert.equal(again.vanishedSince(seenModseq).complete, false, 'expunges before the rebuild are unknown');
  assert.deepEqual(again.messages().map((m) => m.uid), [2]);
  assert.equal(again.status().uidNext, 3);
  unlinkSync(join(root, 'tandem-uidlist'));
  const rebuilt = await open(root, cache);
  assert.ok(rebuilt.uidValidity > ix.uidValidity);
  assert.deepEqual(rebuilt.messages().map((m) => m.uid), [1]);
}));

test('a cheap sync() skips the scan when the directories did not change', () => withTempRoot(async (root, cache) => {
  const ix = await open(root, cache);
  await ix.append(MESSAGE);
  const c = await ix.sync();
  assert.deepEqual([c.added, c.expunged, c.flagged], [[], [], []]);
}));

test('STORE retries a file another program renamed meanwhile; EXPUNGE finds it by id', () => withTempRoot(async (root, cache) => {
  const ix = await open(root, cache);
  await ix.append(MESSAGE, ['\\Deleted']);
  await ix.append(MESSAGE, ['\\Seen']);
  const [m1, m2] = ix.messages();
  // Renamed behind our back by another MUA between two commands.
  renameSync(ix.pathOf(m2!), join(root, 'cur', `${m2!.filename.split(':2,')[0]}:2,FS`));
  const r = await ix.setFlags([2], 'add', ['\\Answered']);
  assert.deepEqual(r.changed.map((m) => [m.uid, m.letters]), [[2, 'FRS']]);
  renameSync(ix.pathOf(m1!), join(root, 'cur', `${m1!.filename.split(':2,')[0]}:2,ST`));
  assert.deepEqual(await ix.expunge([1], { onlyDeleted: false }), [1]);
  assert.equal(readdirSync(join(root, 'cur')).length, 1);
  const c = await ix.sync(true);
  assert.deepEqual(c.added, [], 'an expunged UID never comes back');
}));

test('a cleanly closed index keeps MODSEQs; after a crash every message gets a new one', () => withTempRoot(async (root, cache) => {
  const ix = await open(root, cache);
  await ix.append(MESSAGE);
  await ix.setFlags([1], 'add', ['\\Seen']);
  await ix.setFlags([1], 'remove', ['\\Seen']); // undone: a stale cache could not tell
  const modseq = ix.messages()[0]!.modseq;
  await ix.close();
  const clean = await open(root, cache);
  assert.equal(clean.messages()[0]!.modseq, modseq);
  // No close(): as after SIGKILL. The cache on disk is marked unclean since the open.
  const crashed = await open(root, cache);
  assert.ok(crashed.messages()[0]!.modseq > clean.highestModseq, 'CONDSTORE clients refetch its flags');
}));
