import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserStore } from './user-store.ts';
import { isTandemError } from '../../../lib/errors.ts';
import { withTempRoot, MESSAGE } from './_test-folder.ts';

test('open() creates INBOX and subscribed special-use folders once', () => withTempRoot(async (root, cache) => {
  const s = await UserStore.open(root, cache);
  assert.deepEqual((await s.list()).map((f) => [f.name, f.specialUse]), [
    ['INBOX', null], ['Archive', '\\Archive'], ['Drafts', '\\Drafts'], ['Junk', '\\Junk'], ['Sent', '\\Sent'], ['Trash', '\\Trash'],
  ]);
  assert.ok(existsSync(join(root, '.Sent', 'maildirfolder')));
  assert.deepEqual((await s.subscriptions()).sort(), ['Archive', 'Drafts', 'Junk', 'Sent', 'Trash']);
  await UserStore.open(root, cache);
  assert.equal((await s.subscriptions()).length, 5);
}));

test('create, rename with children, and delete map to Maildir++ directories', () => withTempRoot(async (root, cache) => {
  const s = await UserStore.open(root, cache);
  await s.create('Projects/v1.2');
  await s.create('Projects');
  const ix = await s.folder('Projects/v1.2');
  const { uid } = await ix.append(MESSAGE);
  const validity = ix.uidValidity;
  await assert.rejects(s.create('projects/v1.2'.replace('p', 'P')), (e) => isTandemError(e, 'exists'));
  await s.rename('Projects', 'Work/Entwürfe');
  assert.ok(existsSync(join(root, '.Work.Entw&APw-rfe.v1%2E2')));
  assert.equal((await s.list()).find((f) => f.name === 'Work/Entwürfe')!.hasChildren, true);
  const moved = await s.folder('Work/Entwürfe/v1.2');
  assert.equal(moved.uidValidity, validity, 'UIDs move with the folder');
  assert.deepEqual(moved.messages().map((m) => m.uid), [uid]);
  await s.delete('Work/Entwürfe');
  assert.deepEqual((await s.list()).filter((f) => f.name.startsWith('Work')).map((f) => f.name), ['Work/Entwürfe/v1.2']);
  assert.ok(!readdirSync(root).some((d) => d.startsWith('.%deleted')));
  await assert.rejects(s.folder('Work/Entwürfe'), (e) => isTandemError(e, 'not-found'));
  await assert.rejects(s.delete('INBOX'), (e) => isTandemError(e, 'not-possible'));
  await assert.rejects(s.rename('INBOX', 'Old'), (e) => isTandemError(e, 'not-possible'));
  await assert.rejects(s.create('a//b'), (e) => isTandemError(e, 'invalid'));
}));

test('subscribe and unsubscribe keep the Maildir++ subscriptions file', () => withTempRoot(async (root, cache) => {
  const s = await UserStore.open(root, cache);
  await s.subscribe('inbox/Lists');
  await s.unsubscribe('Junk');
  assert.deepEqual((await s.subscriptions()).sort(), ['Archive', 'Drafts', 'INBOX/Lists', 'Sent', 'Trash']);
  assert.match(readFileSync(join(root, 'subscriptions'), 'utf8'), /^INBOX\/Lists$/m);
}));

test('copy() hard-links with COPYUID data and keywords; move() expunges the source', () => withTempRoot(async (root, cache) => {
  const s = await UserStore.open(root, cache);
  const inbox = await s.folder('INBOX');
  await inbox.append(MESSAGE, ['\\Seen', 'Work'], 1_650_000_000_000);
  await inbox.append(MESSAGE, ['$Junk']);
  const trash = await s.folder('Trash');
  await trash.append(MESSAGE, ['Other']);
  const c = await s.copy('INBOX', [1, 2, 99], 'Trash');
  assert.deepEqual(c, { uidValidity: trash.uidValidity, pairs: [[1, 2], [2, 3]] });
  const copy = trash.messages().find((m) => m.uid === 2)!;
  assert.deepEqual(trash.flagsOf(copy), ['\\Seen', 'Work']);
  assert.equal(Math.floor(copy.time / 1000), 1_650_000_000);
  assert.equal(statSync(trash.pathOf(copy)).nlink, 2, 'a hard link, not a copy');
  const m = await s.move('INBOX', [2], 'Junk');
  assert.deepEqual([m.pairs, m.expunged], [[[2, 1]], [2]]);
  assert.deepEqual(inbox.messages().map((x) => x.uid), [1]);
  assert.deepEqual((await s.status('Junk')).messages, 1);
  const same = await s.copy('INBOX', [1], 'INBOX');
  assert.deepEqual(same.pairs, [[1, 3]], 'copy into the same folder gets a new id and UID');
}));

test('two opens of one folder in a process share one index and its change events', () => withTempRoot(async (root, cache) => {
  const s = await UserStore.open(root, cache);
  const [a, b] = await Promise.all([s.folder('INBOX'), s.folder('inbox')]);
  assert.equal(a, b);
  let seen = 0;
  b.on('change', () => seen++);
  await a.append(MESSAGE);
  assert.equal(seen, 1);
}));

test('COPY finds a source another MUA renamed since the last sync', () => withTempRoot(async (root, cache) => {
  const s = await UserStore.open(root, cache);
  const inbox = await s.folder('INBOX');
  await inbox.append(MESSAGE, ['\\Seen']);
  const m = inbox.messages()[0]!;
  renameSync(inbox.pathOf(m), join(root, 'cur', `${m.filename.split(':2,')[0]}:2,FS`));
  const c = await s.copy('INBOX', [1], 'Archive');
  assert.deepEqual(c.pairs, [[1, 1]]);
  const archive = await s.folder('Archive');
  assert.deepEqual(archive.flagsOf(archive.messages()[0]!), ['\\Flagged', '\\Seen']);
}));
