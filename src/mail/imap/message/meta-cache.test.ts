// The meta cache: disk entries survive a new process (the message file is not read again),
// corrupt or truncated entries are reparsed and rewritten, two processes writing the same
// entries leave valid files, and the memory LRU stays within its bounds.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, rm, readdir } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { testVolume, fixture, crlf } from './_test-helpers.ts';
import { createMessageLayer } from './index.ts';
import { MetaCache } from './meta-cache.ts';
import { isTandemError } from '../../../lib/errors.ts';
import type { MessageMeta } from './api.ts';

const vol = await testVolume();
after(() => vol.cleanup());
const cacheDir = join(vol.layout.indexDir, 'imap-meta');
const files = new MetaCache({ dir: cacheDir });

test('an entry is written under index/imap-meta and read back by a fresh layer without the message file', async () => {
  const path = await vol.write('a.eml', await fixture('rfc9051-sections.eml'));
  const first = await vol.layer.meta(path, '1700000000.M1P1.host');
  await vol.layer.close(); // flushes the background write
  const file = files.fileOf('1700000000.M1P1.host')!;
  assert.ok(file.startsWith(cacheDir));
  JSON.parse(await readFile(file, 'utf8'));
  await rm(path);
  const fresh = createMessageLayer(vol.layout);
  assert.deepEqual(await fresh.meta(path, '1700000000.M1P1.host'), first, 'served from disk: the file is gone');
  await fresh.close();
});

test('a corrupt, truncated or foreign entry reads as a miss: the message is reparsed and the entry rewritten', async () => {
  const path = await vol.write('b.eml', crlf('Subject: corrupt test\n\nbody\n'));
  const id = '1700000001.M2P1.host';
  const good = await vol.layer.meta(path, id);
  await vol.layer.close();
  const file = files.fileOf(id)!;
  const valid = await readFile(file, 'utf8');
  for (const bad of [valid.slice(0, valid.length / 2), 'garbage', '{"v":1,"id":"other","meta":{}}', valid.replace('"v":1', '"v":999'), '']) {
    await writeFile(file, bad);
    const layer = createMessageLayer(vol.layout);
    assert.deepEqual(await layer.meta(path, id), good);
    await layer.close();
    assert.equal(await readFile(file, 'utf8'), valid, 'rewritten');
  }
});

test('two processes writing the same entries at once leave only valid entries and no temp files', { timeout: 120_000 }, async () => {
  const ids: string[] = [];
  for (let i = 0; i < 30; i++) {
    ids.push(`1700000100.M${i}P9.race`);
    await vol.write(`race-${i}.eml`, crlf(`Subject: race ${i}\nContent-Type: multipart/mixed; boundary=x\n\n--x\n\npart ${i}\n--x--\n`));
  }
  const script = `
    import { createMessageLayer } from ${JSON.stringify(new URL('./index.ts', import.meta.url).href)};
    import { VolumeLayout } from ${JSON.stringify(new URL('../../core/volume.ts', import.meta.url).href)};
    const layer = createMessageLayer(new VolumeLayout(process.argv[1]));
    for (let round = 0; round < 3; round++) {
      const fresh = createMessageLayer(new VolumeLayout(process.argv[1]), { maxCachedEntries: 1 });
      await Promise.all(${JSON.stringify(ids)}.map((id, i) => fresh.meta(process.argv[1] + '/race-' + i + '.eml', id)));
      await fresh.close();
    }
    await layer.close();
  `;
  const run = () => new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, vol.root], { stdio: 'inherit' });
    child.on('exit', (code) => resolve(code));
  });
  assert.deepEqual(await Promise.all([run(), run()]), [0, 0]);
  for (const [i, id] of ids.entries()) {
    const doc = JSON.parse(await readFile(files.fileOf(id)!, 'utf8')) as { meta: MessageMeta };
    assert.equal(doc.meta.envelope.subject, `race ${i}`);
  }
  const leftovers: string[] = [];
  for (const sub of await readdir(cacheDir)) leftovers.push(...(await readdir(join(cacheDir, sub))).filter((f) => f.endsWith('.tmp')));
  assert.deepEqual(leftovers, []);
});

test('the memory LRU keeps at most maxEntries and evicts the least recently used', async () => {
  const cache = new MetaCache({ dir: null, maxEntries: 2 });
  const m = await vol.layer.meta(await vol.write('c.eml', 'Subject: x\r\n\r\n'), 'c');
  cache.put('one', m);
  cache.put('two', m);
  assert.ok(await cache.get('one')); // 'one' is now the most recent
  cache.put('three', m);
  assert.equal(await cache.get('two'), null);
  assert.ok(await cache.get('one'));
  assert.ok(await cache.get('three'));
  const bytes = new MetaCache({ dir: null, maxBytes: 4 * 1024 });
  for (let i = 0; i < 100; i++) bytes.put(`k${i}`, m);
  let kept = 0;
  for (let i = 0; i < 100; i++) if (await bytes.get(`k${i}`)) kept++;
  assert.ok(kept > 0 && kept < 100, `kept ${kept} of 100 within 4 KiB`);
});

test('meta() of a file that is gone rejects with a not-found TandemError (nothing cached)', async () => {
  const path = join(vol.root, 'never-written.eml');
  await assert.rejects(vol.layer.meta(path, 'gone'), (err) => isTandemError(err, 'not-found') && /no longer exists/.test((err as Error).message));
  await vol.write('never-written.eml', crlf('Subject: late\n\n'));
  assert.equal((await vol.layer.meta(path, 'gone')).envelope.subject, 'late', 'the failure was not cached');
});
