// Crash safety of the imap service as a whole (DESIGN 3.1: acknowledged means on disk):
// the real process is SIGKILLed at random moments while one client streams APPENDs and
// another streams STOREs and a third MOVEs. After each restart every APPEND that got OK is
// there with the UID its APPENDUID named, every acknowledged STORE's flags hold, every
// acknowledged MOVE is in its target under its COPYUID and gone from the source, no message
// is lost, UIDVALIDITY is unchanged; after deleting index/ the mailbox is rebuilt with the
// same UIDs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startImap } from '../helpers/imap.ts';
import { ImapRaw, fetchLines, responseCode } from '../helpers/imap-raw.ts';

const ROUNDS = 3;
const SEEDED = 12;
const FLAGS = ['\\Flagged', '\\Answered', '\\Seen'] as const;
const PASSWORDS: Record<string, string> = { alice: 'wonderland', bob: 'builder' };

interface MailboxState { uidValidity: string; uidBySubject: Map<string, number[]>; flagsByUid: Map<number, Set<string>> }

/** SELECTs a mailbox and reads every message's UID, subject and flags. */
async function readMailbox(port: number, user = 'alice', mailbox = 'INBOX'): Promise<MailboxState> {
  const c = await ImapRaw.open(port);
  try {
    await c.login(`${user}@demo.test`, PASSWORDS[user]);
    const sel = await c.ok(`SELECT ${mailbox}`);
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

/**
 * Streams UID MOVEs of bob's INBOX messages to Archive until the connection dies. `moved`
 * gets subject -> target UID for each acknowledged MOVE (from COPYUID); `inFlight` the
 * subject being moved when the connection died.
 */
async function moveStream(port: number, subjects: Map<number, string>, moved: Map<string, number>, skip: Set<string>, inFlight: string[], onReady: () => void): Promise<void> {
  const c = await ImapRaw.open(port);
  await c.login('bob@demo.test', 'builder');
  await c.ok('SELECT INBOX');
  onReady();
  for (const [uid, subject] of subjects) {
    if (moved.has(subject) || skip.has(subject)) continue;
    inFlight.push(subject);
    const r = await c.cmd(`UID MOVE ${uid} Archive`).catch(() => null);
    if (!r || r.status === 'CLOSED') return;
    assert.equal(r.status, 'OK', r.tagged);
    const copyUid = responseCode([...r.untagged, r.tagged], 'COPYUID');
    assert.ok(copyUid, `COPYUID for the MOVE of ${uid}: ${r.untagged.join(' | ')}`);
    moved.set(subject, Number(copyUid.split(' ')[2]));
    inFlight.pop();
  }
  c.end();
}

interface FlagOp { uid: number; flag: string; set: boolean }

/** Acknowledged STOREs so far (the map of expected states does not grow with each). */
let storeAcks = 0;

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
    storeAcks++;
  }
  c.end();
}

test('SIGKILL of the imap process during APPENDs, STOREs and MOVEs loses nothing acknowledged; index/ rebuilds with the same UIDs', async () => {
  const f = await startImap();
  try {
    for (let i = 0; i < SEEDED; i++) await f.deliver('alice', `Subject: seed-${i}\nMessage-ID: <seed-${i}@crash.test>\n\nseed ${i}\n`);
    for (let i = 0; i < 150; i++) await f.deliver('bob', `Subject: move-${i}\n\nto be moved ${i}\n`);
    const bobInbox = await readMailbox(f.port, 'bob');
    const toMove = new Map([...bobInbox.uidBySubject].map(([subject, [uid]]) => [uid!, subject]));
    const moved = new Map<string, number>();
    const leftInBoth = new Set<string>(); // a MOVE cut between its copy and its expunge
    const first = await readMailbox(f.port);
    const seededUids = [...first.flagsByUid.keys()];
    assert.equal(seededUids.length, SEEDED);

    const acked = new Map<string, number>();
    const expected = new Map<string, boolean>();
    let killedInFlight = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const port = f.port;
      const inFlight: FlagOp[] = [];
      const movingAtKill: string[] = [];
      // Kill at a random moment once both streams are running (bounded: at most 2000 ops each).
      let ready = 0;
      let bothReady: () => void = () => undefined;
      const running = new Promise<void>((resolve) => { bothReady = resolve; });
      const onReady = (): void => { if (++ready === 3) bothReady(); };
      const streams = Promise.all([
        appendStream(port, round, 2000, acked, onReady),
        storeStream(port, seededUids, 2000, expected, inFlight, onReady),
        moveStream(port, toMove, moved, leftInBoth, movingAtKill, onReady),
      ]);
      await Promise.race([running, streams]);
      // On a loaded machine the first acknowledgements can take a while: give each stream
      // the chance of one (bounded by 10 s) so every round has something to verify.
      const counts = (): number[] => [acked.size, storeAcks, moved.size];
      const start = counts();
      for (let waited = 0; waited < 10_000 && counts().some((n, i) => n === start[i]); waited += 50) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, Math.random() * 500));
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

      // MOVE: acknowledged ones are in Archive under their COPYUID and gone from INBOX; the
      // one in flight may be in either or (copied, not yet expunged) both; none is lost.
      const [inbox, archive] = [await readMailbox(f.port, 'bob'), await readMailbox(f.port, 'bob', 'Archive')];
      for (const [subject, uid] of moved) {
        assert.deepEqual(archive.uidBySubject.get(subject), [uid], `acknowledged MOVE of ${subject} is in Archive with UID ${uid} (after kill ${round + 1})`);
        assert.ok(!inbox.uidBySubject.has(subject), `acknowledged MOVE of ${subject} left INBOX`);
      }
      for (const subject of toMove.values()) {
        const copies = (inbox.uidBySubject.get(subject)?.length ?? 0) + (archive.uidBySubject.get(subject)?.length ?? 0);
        if (movingAtKill.includes(subject)) {
          assert.ok(copies === 1 || copies === 2, `${subject} (moving at the kill) exists (${copies})`);
          // Where the cut MOVE left it is what later rounds must keep.
          if (copies === 2) leftInBoth.add(subject);
          else if (archive.uidBySubject.has(subject)) moved.set(subject, archive.uidBySubject.get(subject)![0]!);
        } else {
          assert.equal(copies, leftInBoth.has(subject) ? 2 : 1, `${subject} is in exactly one of INBOX and Archive`);
        }
      }
    }
    assert.ok(moved.size > 0, 'some MOVEs were acknowledged before the kills');
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
    console.log(`# ${acked.size} APPENDs, ${expected.size} flag states and ${moved.size} MOVEs acknowledged over ${ROUNDS} kills (${killedInFlight} STOREs in flight at a kill)`);
  } finally {
    await f.stop();
  }
});
