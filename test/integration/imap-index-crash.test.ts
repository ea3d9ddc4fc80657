// SIGKILL during APPEND and STORE: after each kill a fresh index must be consistent with
// the Maildir, keep every acknowledged UID, and never move, repeat or reuse a UID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FolderIndex } from '../../src/mail/imap/store/folder-index.ts';
import { listMaildir, parseMaildirName } from '../../src/mail/storage/maildir.ts';
import { normalizeLetters } from '../../src/mail/imap/store/flags.ts';

const WORKER = join(import.meta.dirname, '../../src/mail/imap/store/_test-worker.ts');

/** Runs a worker and SIGKILLs it `killAfterMs` after it is ready; returns the acknowledged UIDs. */
function runAndKill(dir: string, cacheFile: string, killAfterMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, dir, cacheFile, 'mixed', '100000'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acked: number[] = [];
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) {
        if (l === 'ready') setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        else if (l.startsWith('A ')) acked.push(Number(l.slice(2)));
      }
    });
    child.on('error', reject);
    child.on('exit', () => resolve(acked));
  });
}

/** The invariants of one reopened index against the files on disk. */
async function checkConsistent(ix: FolderIndex, dir: string): Promise<void> {
  const files = await listMaildir(dir);
  const ids = new Set(files.map((f) => f.id));
  const msgs = ix.messages();
  assert.equal(msgs.length, ids.size, 'every file has exactly one UID');
  assert.equal(new Set(msgs.map((m) => m.id)).size, msgs.length, 'no id has two UIDs');
  for (const m of msgs) {
    assert.ok(ids.has(m.id));
    assert.equal(m.letters, normalizeLetters(parseMaildirName(m.filename).flags), 'flags match the file name');
    assert.ok(files.some((f) => f.path === ix.pathOf(m)), `file of UID ${m.uid} is where the index says`);
  }
}

test('SIGKILL during APPEND and STORE leaves a consistent index with stable, never-reused UIDs', async () => {
  const base = mkdtempSync(join(tmpdir(), 'tandem-imapcrash-'));
  const dir = join(base, 'Maildir');
  const cacheFile = join(base, 'index', 'INBOX.json');
  try {
    const uidOf = new Map<string, number>();
    const idOf = new Map<number, string>();
    let uidNext = 1;
    let validity = 0;
    for (let round = 0; round < 6; round++) {
      const acked = await runAndKill(dir, cacheFile, 100 + Math.floor(Math.random() * 300));
      const ix = await FolderIndex.open(dir, cacheFile, dir);
      if (round === 0) validity = ix.uidValidity;
      assert.equal(ix.uidValidity, validity, 'UIDVALIDITY survives crashes');
      await checkConsistent(ix, dir);
      const present = new Set(ix.messages().map((m) => m.uid));
      for (const uid of acked) assert.ok(present.has(uid), `acknowledged APPEND UID ${uid} survives (round ${round})`);
      for (const m of ix.messages()) {
        assert.equal(uidOf.get(m.id) ?? m.uid, m.uid, 'a message keeps its UID');
        assert.equal(idOf.get(m.uid) ?? m.id, m.id, 'a UID is never reused for another message');
        if (!uidOf.has(m.id)) assert.ok(m.uid >= uidNext, 'new UIDs are above every UID handed out before');
        uidOf.set(m.id, m.uid);
        idOf.set(m.uid, m.id);
      }
      assert.ok(ix.status().uidNext >= uidNext, 'UIDNEXT never decreases');
      uidNext = ix.status().uidNext;
    }
    assert.ok(uidOf.size > 0, 'the workers got some appends done');
    // Losing the cache costs nothing that matters: same UIDVALIDITY, same UIDs.
    rmSync(join(base, 'index'), { recursive: true, force: true });
    const rebuilt = await FolderIndex.open(dir, cacheFile, dir);
    assert.equal(rebuilt.uidValidity, validity);
    for (const m of rebuilt.messages()) assert.equal(uidOf.get(m.id), m.uid);
    await checkConsistent(rebuilt, dir);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
