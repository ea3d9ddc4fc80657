import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MailIndexes } from './registry.ts';
import { makeTestVolume } from '../../../../test/helpers/volume.ts';

test('MailIndexes shares one store per user and keeps caches under index/imap/', async () => {
  const vol = await makeTestVolume();
  try {
    const indexes = new MailIndexes(vol.layout);
    const [a, b] = await Promise.all([indexes.user('Demo.Test', 'Alice'), indexes.user('demo.test', 'alice')]);
    assert.equal(a, b);
    assert.equal(a.root, vol.layout.maildir('demo.test', 'alice'));
    const inbox = await a.folder('INBOX');
    await inbox.append(Buffer.from('Subject: x\r\n\r\n'));
    assert.ok(existsSync(join(vol.layout.indexDir, 'imap', 'demo.test', 'alice', 'INBOX.json')));
    await indexes.close();
    const again = await new MailIndexes(vol.layout).user('demo.test', 'alice');
    assert.notEqual(again, a);
    assert.deepEqual((await again.folder('INBOX')).messages().map((m) => m.uid), [1]);
  } finally {
    vol.cleanup();
  }
});
