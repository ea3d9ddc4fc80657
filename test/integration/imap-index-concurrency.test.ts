// Other processes change the Maildir under the index: a second IMAP process appending,
// POP3 deleting files, another MUA renaming them. UIDs stay unique and flags follow disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FolderIndex } from '../../src/mail/imap/store/folder-index.ts';
import { deliverToMaildir, listMaildir } from '../../src/mail/storage/maildir.ts';
import { readUidList } from '../../src/mail/imap/store/uidlist.ts';

const WORKER = join(import.meta.dirname, '../../src/mail/imap/store/_test-worker.ts');

function run(args: string[], script = WORKER): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, script === WORKER ? ['--import', 'tsx', WORKER, ...args] : ['-e', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out.split('\n').filter(Boolean)) : reject(new Error(`child exited ${code}`))));
  });
}

async function withFolder(fn: (dir: string, base: string) => Promise<void>): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'tandem-imapconc-'));
  try {
    await fn(join(base, 'Maildir'), base);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

test('two processes appending at once, with SMTP deliveries, never share a UID', () => withFolder(async (dir, base) => {
  const first = await FolderIndex.open(dir, join(base, 'idx-parent.json'), dir);
  const writers = [run([dir, join(base, 'idx-a.json'), 'appends', '60']), run([dir, join(base, 'idx-b.json'), 'appends', '60'])];
  // Meanwhile the SMTP process delivers into new/ and this process syncs.
  for (let i = 0; i < 20; i++) {
    await deliverToMaildir(dir, Buffer.from(`Subject: smtp ${i}\r\n\r\n`));
    await first.sync();
  }
  const acked = (await Promise.all(writers)).flat().filter((l) => l.startsWith('A ')).map((l) => Number(l.slice(2)));
  assert.equal(acked.length, 120);
  assert.equal(new Set(acked).size, 120, 'no UID acknowledged twice');
  await first.sync(true);
  const msgs = first.messages();
  assert.equal(msgs.length, 140);
  assert.equal(new Set(msgs.map((m) => m.uid)).size, 140);
  for (const uid of acked) assert.ok(msgs.some((m) => m.uid === uid));
  const list = (await readUidList(dir))!;
  assert.equal(list.uidNext, 141, 'no UID was skipped or duplicated under the lock');
  assert.equal((await listMaildir(dir)).length, 140);
}));

// A plain node script (no Tandem code) standing in for POP3 and for mutt.
const OTHER_PROGRAMS = `
const fs = require('node:fs'), path = require('node:path');
const dir = process.argv[1];
const cur = fs.readdirSync(path.join(dir, 'cur')).sort();
cur.forEach((f, i) => {
  if (i % 4 === 0) fs.unlinkSync(path.join(dir, 'cur', f));                       // POP3 DELE + QUIT
  else if (i % 4 === 1) fs.renameSync(path.join(dir, 'cur', f), path.join(dir, 'cur', f.split(':2,')[0] + ':2,FS')); // mutt
  else if (i % 4 === 2) console.log(f.split(',')[0]);
});
`;

test('POP3 deletions and another MUA\'s renames are seen as EXPUNGE and FETCH FLAGS', () => withFolder(async (dir, base) => {
  const ix = await FolderIndex.open(dir, join(base, 'idx.json'), dir);
  for (let i = 0; i < 40; i++) await ix.append(Buffer.from(`Subject: ${i}\r\n\r\n`), [], 1_700_000_000_000 + i * 1000);
  await ix.sync(true); // takes new/ into cur/, where the other programs look
  const before = new Map(ix.messages().map((m) => [m.id, m.uid]));
  const changes: Array<{ expunged: number[]; flagged: number[] }> = [];
  ix.on('change', (c) => changes.push(c));
  // This session stores flags on other messages while the other programs run.
  const storing = ix.setFlags(ix.messages().filter((_, i) => i % 4 === 3).map((m) => m.uid), 'add', ['\\Answered']);
  const untouched = await run([dir], OTHER_PROGRAMS);
  await storing;
  await ix.sync(true);
  const after = ix.messages();
  assert.equal(after.length, 30);
  for (const m of after) assert.equal(before.get(m.id), m.uid, 'UIDs survive other programs');
  assert.equal(after.filter((m) => m.letters === 'FS').length, 10);
  assert.equal(after.filter((m) => m.letters === 'R').length, 10);
  for (const id of untouched) assert.equal(after.find((m) => m.id === id)?.letters, '');
  assert.equal(changes.flatMap((c) => c.expunged).length, 10);
  assert.ok(changes.flatMap((c) => c.flagged).length >= 20);
  const fresh = await FolderIndex.open(dir, join(base, 'other.json'), dir);
  assert.deepEqual(fresh.messages().map((m) => [m.uid, m.letters]), after.map((m) => [m.uid, m.letters]));
}));
