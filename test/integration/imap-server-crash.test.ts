// Crash safety of the imap service as a whole (DESIGN 3.1: acknowledged means on disk):
// the real process is SIGKILLed at random moments while one client streams APPENDs and
// another streams STOREs. After each restart every APPEND that got OK is there with the
// UID its APPENDUID named, every acknowledged STORE's flags hold, UIDVALIDITY is
// unchanged; after deleting index/ the mailbox is rebuilt with the same UIDs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startImap } from '../helpers/imap.ts';
import { ImapRaw, fetchLines, responseCode } from '../helpers/imap-raw.ts';

const ROUNDS = 3;
const SEEDED = 12;
const FLAGS = ['\\Flagged', '\\Answered', '\\Seen'] as const;

interface MailboxState { uidValidity: string; uidBySubject: Map<string, number[]>; flagsByUid: Map<number, Set<string>> }

/** SELECTs INBOX and reads every message's UID, subject and flags. */
async function readMailbox(port: number): Promise<MailboxState> {
  const c = await ImapRaw.open(port);
  try {
    await c.login();
    const sel = await c.ok('SELECT INBOX');
    const uidValidity = responseCode(sel.untagged, 'UIDVALIDITY');
    assert.ok(uidValidity, 'SELECT reports UIDVALIDITY');
    const uidBySubject = new Map<string, number[]>();
    const flagsByUid = new Map<number, Set<string>>();
    for (const item of fetchLines((await c.ok('FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])', 60_000)).untagged).values()) {
      const uid = Number(/UID (\d+)/.exec(item)?.[1]);
      const subject = /Subject: (\S+)/.exec(item)?.[1] ?? '?';
      uidBySubject.set(subject, [...(uidBySubject.get(subject) ?? []), uid]);
      flagsByUid.set(uid, new Set((/FLAGS \(([^)]*)\)/.exec(item)?.[1] ?? '').split(' ').filter(Boolean)));
    }
    return { uidValidity, uidBySubject, flagsByUid };
  } finally {
    await c.logout();
  }
}

/** Streams APPENDs until the connection dies (or `max`); returns subject -> acknowledged UID. */
async function appendStream(port: number, round: number, max: number, acked: Map<string, number>, onReady: () => void): Promise<void> {
  const c = await ImapRaw.open(port);
  await c.login();
  onReady();
  for (let i = 0; i < max; i++) {
    const subject = `crash-${round}-${i}`;
    const msg = `Subject: ${subject}\r\nMessage-ID: <${subject}@crash.test>\r\n\r\n${'body line\r\n'.repeat(20)}`;
    const tag = c.nextTag();
    c.send(`${tag} APPEND INBOX {${msg.length}+}\r\n${msg}\r\n`);
    const r = await c.until(tag).catch(() => null);
    if (!r || r.status === 'CLOSED') return;
    assert.equal(r.status, 'OK', r.tagged);
    const uid = /\[APPENDUID \d+ (\d+)\]/.exec(r.tagged)?.[1];
    assert.ok(uid, `APPENDUID in ${r.tagged}`);
    acked.set(subject, Number(uid));
  }
  c.end();
}

interface FlagOp { uid: number; flag: string; set: boolean }

/**
 * Streams STOREs on the seeded messages until the connection dies (or `max`). `expected`
 * holds the last acknowledged state of each (uid, flag); `inFlight` the op sent but not
 * answered when the connection died (its outcome may go either way).
 */
async function storeStream(port: number, uids: number[], max: number, expected: Map<string, boolean>, inFlight: FlagOp[], onReady: () => void): Promise<void> {
  const c = await ImapRaw.open(port);
  await c.login();
  await c.ok('SELECT INBOX');
  onReady();
  for (let i = 0; i < max; i++) {
    const op: FlagOp = { uid: uids[Math.floor(Math.random() * uids.length)]!, flag: FLAGS[i % FLAGS.length]!, set: Math.random() < 0.6 };
    inFlight.push(op);
    const r = await c.cmd(`UID STORE ${op.uid} ${op.set ? '+' : '-'}FLAGS.SILENT (${op.flag})`).catch(() => null);
    if (!r || r.status === 'CLOSED') return;
    assert.equal(r.status, 'OK', r.tagged);
    inFlight.pop();
    expected.set(`${op.uid} ${op.flag}`, op.set);
  }
  c.end();
}

test('SIGKILL of the imap process during APPENDs and STOREs loses nothing acknowledged; index/ rebuilds with the same UIDs', async () => {
  const f = await startImap();
  try {
    for (let i = 0; i < SEEDED; i++) await f.deliver('alice', `Subject: seed-${i}\nMessage-ID: <seed-${i}@crash.test>\n\nseed ${i}\n`);
    const first = await readMailbox(f.port);
    const seededUids = [...first.flagsByUid.keys()];
    assert.equal(seededUids.length, SEEDED);

    const acked = new Map<string, number>();
    const expected = new Map<string, boolean>();
    let killedInFlight = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const port = f.port;
      const inFlight: FlagOp[] = [];
      // Kill at a random moment once both streams are running (bounded: at most 2000 ops each).
      let ready = 0;
      let bothReady: () => void = () => undefined;
      const running = new Promise<void>((resolve) => { bothReady = resolve; });
      const onReady = (): void => { if (++ready === 2) bothReady(); };
      const streams = Promise.all([
        appendStream(port, round, 2000, acked, onReady),
        storeStream(port, seededUids, 2000, expected, inFlight, onReady),
      ]);
      await Promise.race([running, streams]);
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 600));
      await f.restart('SIGKILL');
      await streams;
      // An op in flight at the kill may or may not have happened: forget what we expected.
      for (const op of inFlight) { expected.delete(`${op.uid} ${op.flag}`); killedInFlight++; }

      const state = await readMailbox(f.port);
      assert.equal(state.uidValidity, first.uidValidity, `UIDVALIDITY unchanged after kill ${round + 1}`);
      for (const [subject, uid] of acked) {
        assert.deepEqual(state.uidBySubject.get(subject), [uid], `acknowledged APPEND ${subject} is there once, with UID ${uid} (after kill ${round + 1})`);
      }
      for (const [subject, uids] of state.uidBySubject) assert.equal(uids.length, 1, `${subject} stored once`);
      for (const [key, set] of expected) {
        const [uid, flag] = key.split(' ');
        assert.equal(state.flagsByUid.get(Number(uid))?.has(flag!), set, `acknowledged STORE ${set ? '+' : '-'}${flag} on UID ${uid} holds (after kill ${round + 1})`);
      }
    }
    assert.ok(acked.size > 0, 'some APPENDs were acknowledged before the kills');
    assert.ok(expected.size > 0, 'some STOREs were acknowledged before the kills');

    // Losing the rebuildable index costs nothing: same UIDVALIDITY, same UIDs, same flags.
    const beforeRebuild = await readMailbox(f.port);
    await f.imap.kill('SIGTERM');
    rmSync(f.vol.layout.indexDir, { recursive: true, force: true });
    await f.restart('SIGTERM');
    const rebuilt = await readMailbox(f.port);
    assert.equal(rebuilt.uidValidity, first.uidValidity);
    assert.deepEqual(Object.fromEntries(rebuilt.uidBySubject), Object.fromEntries(beforeRebuild.uidBySubject));
    for (const [uid, flags] of beforeRebuild.flagsByUid) assert.deepEqual([...(rebuilt.flagsByUid.get(uid) ?? [])].sort(), [...flags].sort(), `flags of UID ${uid} after the rebuild`);
    console.log(`# ${acked.size} APPENDs and ${expected.size} flag states acknowledged over ${ROUNDS} kills (${killedInFlight} ops in flight at a kill)`);
  } finally {
    await f.stop();
  }
});
