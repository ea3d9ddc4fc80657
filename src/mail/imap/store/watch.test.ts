import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FolderIndex } from './folder-index.ts';
import { watchFolder } from './watch.ts';
import { deliverToMaildir } from '../../storage/maildir.ts';
import { withTempRoot, MESSAGE } from './_test-folder.ts';

function nextChange(ix: FolderIndex, timeoutMs: number): Promise<{ added: number[] }> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no change event within ${timeoutMs} ms`)), timeoutMs);
    ix.once('change', (c: { added: number[] }) => { clearTimeout(t); resolve(c); });
  });
}

test('watchFolder() reports a delivery made by another process promptly (the inotify path, no poll)', () => withTempRoot(async (root, cache) => {
  const ix = await FolderIndex.open(root, join(cache, 'INBOX.json'), root);
  const w = watchFolder(ix, { intervalMs: 60_000 });
  try {
    const seen = nextChange(ix, 2000); // ~20 ms when idle; headroom for a loaded test machine
    await deliverToMaildir(root, MESSAGE); // as the SMTP process would
    assert.deepEqual((await seen).added, [1]);
  } finally {
    w.close();
  }
}));

test('the poll alone also finds changes (file systems without inotify)', () => withTempRoot(async (root, cache) => {
  const ix = await FolderIndex.open(root, join(cache, 'INBOX.json'), root);
  const w = watchFolder(ix, { intervalMs: 50, debounceMs: 60_000 });
  try {
    const seen = nextChange(ix, 2000); // ~20 ms when idle; headroom for a loaded test machine
    await deliverToMaildir(root, MESSAGE);
    assert.deepEqual((await seen).added, [1]);
  } finally {
    w.close();
  }
}));
