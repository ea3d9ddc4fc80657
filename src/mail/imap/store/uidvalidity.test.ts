// allocateUidValidity: increasing per user even within one second, durable across reads,
// and a folder deleted and created again at once gets a greater UIDVALIDITY (BUG-3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allocateUidValidity, UIDVALIDITY_FILE } from './uidvalidity.ts';
import { UserStore } from './user-store.ts';

test('values only grow, even at the same clock second, and are kept in the user root', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tandem-uv-'));
  try {
    const now = 1_800_000_000_400;
    const a = await allocateUidValidity(root, 0, now);
    const b = await allocateUidValidity(root, 0, now);
    const c = await allocateUidValidity(root, b + 10, now);
    assert.equal(a, 1_800_000_000);
    assert.equal(b, a + 1);
    assert.equal(c, b + 11, 'above the floor given');
    assert.equal(readFileSync(join(root, UIDVALIDITY_FILE), 'utf8'), `${c}\n`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a folder deleted (or renamed away) and created again at once gets a greater UIDVALIDITY', async () => {
  const base = mkdtempSync(join(tmpdir(), 'tandem-uv-'));
  try {
    const store = await UserStore.open(join(base, 'mail'), join(base, 'cache'));
    await store.create('Again');
    const first = (await store.folder('Again')).uidValidity;
    await store.delete('Again');
    await store.create('Again');
    const second = (await store.folder('Again')).uidValidity;
    assert.ok(second > first, `${second} > ${first}`);
    await store.rename('Again', 'Elsewhere');
    await store.create('Again');
    assert.ok((await store.folder('Again')).uidValidity > second);
    await store.close();
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
