import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { deliverToMaildir } from '../../storage/maildir.ts';
import { renameForFlags, unlinkMessages, withLetters } from './files.ts';
import type { IndexedMessage } from './state.ts';
import { withTempRoot, MESSAGE } from './_test-folder.ts';

const indexed = (uid: number, msg: { id: string; filename: string; isNew: boolean }): IndexedMessage => ({ uid, ...msg, size: 1, time: 0, letters: '', modseq: 1 });

test('withLetters() replaces only the info part of a file name', () => {
  assert.equal(withLetters('1.M2P3.h,S=9:2,S', 'RS'), '1.M2P3.h,S=9:2,RS');
  assert.equal(withLetters('1.M2P3.h,S=9', ''), '1.M2P3.h,S=9:2,');
});

test('renameForFlags() moves new/ files into cur/ and reports files gone from their place', () => withTempRoot(async (root) => {
  const a = await deliverToMaildir(root, MESSAGE);
  const b = await deliverToMaildir(root, MESSAGE);
  renameSync(b.path, join(root, 'cur', `${b.filename}:2,S`));
  const r = await renameForFlags(root, [{ m: indexed(1, a), letters: 'F' }, { m: indexed(2, b), letters: 'F' }]);
  assert.deepEqual(r.done, [{ uid: 1, letters: 'F', filename: `${a.filename}:2,F` }]);
  assert.deepEqual(r.missed, [2]);
  assert.deepEqual(readdirSync(join(root, 'new')), []);
}));

test('unlinkMessages() removes a file by id even after another program renamed it', () => withTempRoot(async (root) => {
  const a = await deliverToMaildir(root, MESSAGE);
  renameSync(a.path, join(root, 'cur', `${a.filename}:2,T`));
  await unlinkMessages(root, [indexed(1, a)]);
  assert.deepEqual(readdirSync(join(root, 'cur')), []);
}));
