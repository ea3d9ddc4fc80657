// Two-way sync with mbsync (Debian isync) between a local Maildir and the server over
// IMAPS: folders (a nested one, a non-ASCII one), messages and flags travel both ways;
// after changes on both sides a second sync makes them match, and a third changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startImap, fixtureMessage, run, crlf, type ImapFixture } from '../helpers/imap.ts';
import { ImapRaw } from '../helpers/imap-raw.ts';
import { decodeMailboxName } from '../../src/mail/imap/proto/mailbox-name.ts';

let f: ImapFixture;
let work: string;

/** Folder name -> Message-ID -> sorted IMAP system flags. */
type Side = Map<string, Map<string, string>>;

const LETTER_FLAGS: Record<string, string> = { D: '\\Draft', F: '\\Flagged', R: '\\Answered', S: '\\Seen', T: '\\Deleted' };

const msg = (id: string, subject: string): string => `From: sync@example.org\nTo: alice@demo.test\nSubject: ${subject}\nMessage-ID: <${id}@sync.test>\n\n${subject}\n`;

before(async () => {
  f = await startImap();
  work = mkdtempSync(join(tmpdir(), 'tandem-mbsync-'));
  await f.deliver('alice', fixtureMessage('plain.eml'));
  await f.deliver('alice', fixtureMessage('nested.eml'), { flags: 'S' });
  await f.deliver('alice', fixtureMessage('utf8.eml'), { flags: 'F' });
  await f.deliver('alice', msg('a2024-1', 'archived one'), { mailbox: 'Archive/2024', flags: 'S' });
  await f.deliver('alice', msg('a2024-2', 'archived two'), { mailbox: 'Archive/2024' });
  await f.deliver('alice', msg('draft-1', 'Entwurf eins'), { mailbox: 'Entwürfe', flags: 'D' });
  await f.deliver('alice', msg('draft-2', 'Entwurf zwei'), { mailbox: 'Entwürfe' });
  // A folder that exists only locally before the first sync.
  writeLocal('Notes', msg('note-1', 'a local note'), 'S');
  writeFileSync(join(work, 'mbsyncrc'), [
    'IMAPAccount tandem',
    'Host 127.0.0.1',
    `Port ${f.tlsPort}`,
    'User alice@demo.test',
    'Pass wonderland',
    'SSLType IMAPS',
    `CertificateFile ${f.certFile}`,
    'AuthMechs LOGIN',
    '',
    'IMAPStore remote',
    'Account tandem',
    '',
    'MaildirStore local',
    `Path ${join(work, 'mail')}/`,
    `Inbox ${join(work, 'inbox')}`,
    'SubFolders Verbatim',
    '',
    'Channel all',
    'Far :remote:',
    'Near :local:',
    'Patterns *',
    'Create Both',
    'Expunge Both',
    'SyncState *',
    'CopyArrivalDate yes',
    '',
  ].join('\n'));
});
after(async () => {
  await f?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

let localSeq = 0;
/** Writes a message into a local Maildir folder ("INBOX" = the Inbox path) with flags. */
function writeLocal(folder: string, text: string, flags = ''): void {
  const dir = folder === 'INBOX' ? join(work, 'inbox') : join(work, 'mail', folder);
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(dir, sub), { recursive: true });
  const name = `${Math.floor(Date.now() / 1000)}.local${++localSeq}.testhost`;
  writeFileSync(join(dir, flags ? 'cur' : 'new', flags ? `${name}:2,${flags}` : name), crlf(text));
}

async function mbsync(): Promise<string> {
  const r = await run('mbsync', ['-c', join(work, 'mbsyncrc'), '-V', 'all'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `mbsync failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
}

function messageId(text: string): string {
  return /^Message-ID:\s*(<[^>]+>)/im.exec(text)?.[1] ?? '(none)';
}

/** The local side: every Maildir under the Inbox and Path, with messages and flags. */
function readLocal(): Side {
  const out: Side = new Map();
  const readFolder = (name: string, dir: string): void => {
    const msgs = new Map<string, string>();
    for (const sub of ['new', 'cur']) {
      for (const file of readdirSync(join(dir, sub))) {
        const letters = file.includes(':2,') ? file.slice(file.indexOf(':2,') + 3) : '';
        const flags = [...letters].map((l) => LETTER_FLAGS[l]).filter((x) => x !== undefined).sort().join(' ');
        msgs.set(messageId(readFileSync(join(dir, sub, file), 'latin1')), flags);
      }
    }
    // mbsync 1.4 keeps IMAP names in modified UTF-7 on disk; compare decoded names.
    out.set(name.includes('&') ? decodeMailboxName(name, false) ?? name : name, msgs);
  };
  readFolder('INBOX', join(work, 'inbox'));
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (!statSync(p).isDirectory() || ['cur', 'new', 'tmp'].includes(e)) continue;
      if (readdirSync(p).includes('cur')) readFolder(relative(join(work, 'mail'), p), p);
      walk(p);
    }
  };
  walk(join(work, 'mail'));
  return out;
}

/** The server side, read over IMAP: every selectable mailbox with messages and flags. */
async function readServer(withUids = false): Promise<Side> {
  const c = await ImapRaw.open(f.port);
  try {
    await c.login();
    const out: Side = new Map();
    for (const line of (await c.ok('LIST "" "*"')).untagged) {
      const m = /^\* LIST \(([^)]*)\) (?:"[^"]*"|NIL) (?:"((?:[^"\\]|\\.)*)"|(\S+))$/.exec(line);
      if (!m || /\\Noselect|\\NonExistent/i.test(m[1]!)) continue;
      const wire = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
      await c.ok(`EXAMINE "${wire}"`);
      const msgs = new Map<string, string>();
      for (const r of (await c.ok('FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])')).untagged) {
        const flags = (/FLAGS \(([^)]*)\)/.exec(r)?.[1] ?? '').split(' ').filter((x) => Object.values(LETTER_FLAGS).includes(x)).sort().join(' ');
        const uid = /UID (\d+)/.exec(r)?.[1] ?? '?';
        msgs.set(messageId(r.slice(r.indexOf('\r\n') + 2)), withUids ? `${uid} ${flags}` : flags);
      }
      out.set(decodeMailboxName(wire, false) ?? wire, msgs);
    }
    return out;
  } finally {
    await c.logout();
  }
}

/** Every message file name under the local root (a rename is a flag change). */
function localFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\/(cur|new)$/.test(dir)) out.push(relative(work, p));
    }
  };
  walk(work);
  return out.sort();
}

/** Both sides as sorted plain data, for deepEqual with a readable diff. */
function plain(side: Side): Record<string, Record<string, string>> {
  return Object.fromEntries([...side.keys()].sort().map((k) => [k, Object.fromEntries([...side.get(k)!.entries()].sort())]));
}

test('mbsync: first sync copies the server folders down and the local folder up; both sides match', async () => {
  await mbsync();
  const local = plain(readLocal());
  const server = plain(await readServer());
  assert.deepEqual(local, server);
  for (const folder of ['INBOX', 'Archive/2024', 'Entwürfe', 'Notes', 'Sent', 'Trash']) assert.ok(folder in server, `${folder} on both sides: ${Object.keys(server).join(', ')}`);
  assert.equal(server['INBOX']!['<report-2@example.net>'], '\\Seen');
  assert.equal(server['INBOX']!['<gruesse-3@example.de>'], '\\Flagged');
  assert.equal(server['Entwürfe']!['<draft-1@sync.test>'], '\\Draft');
  assert.equal(server['Notes']!['<note-1@sync.test>'], '\\Seen', 'the local-only folder and its flags went up');
});

test('mbsync: changes on both sides (new messages, flags, an expunge, a new folder) meet in the second sync; a third changes nothing', async () => {
  // Local changes: a new message in the nested folder, \Flagged on an INBOX message.
  writeLocal('Archive/2024', msg('a2024-3', 'archived locally'));
  const inbox = join(work, 'inbox');
  const plainFile = ['new', 'cur'].flatMap((sub) => readdirSync(join(inbox, sub)).map((n) => join(sub, n)))
    .find((n) => messageId(readFileSync(join(inbox, n), 'latin1')) === '<lunch-1@example.org>');
  assert.ok(plainFile, 'the first sync put plain.eml into the local INBOX');
  const [base, letters = ''] = plainFile.slice(4).split(':2,');
  renameSync(join(inbox, plainFile), join(inbox, 'cur', `${base}:2,${[...new Set([...letters, 'F'])].sort().join('')}`));

  // Server changes: an APPEND, \Answered on a message, an expunge in the non-ASCII folder, a new folder.
  const c = await ImapRaw.open(f.port);
  await c.login();
  const m = crlf(msg('server-new', 'appended on the server'));
  c.send(`S1 APPEND INBOX (\\Seen) {${m.length}+}\r\n${m}\r\n`);
  assert.equal((await c.until('S1')).status, 'OK');
  await c.ok('SELECT INBOX');
  await c.ok('UID STORE 2 +FLAGS (\\Answered)');
  await c.ok('SELECT "Entw&APw-rfe"');
  await c.ok('STORE 2 +FLAGS (\\Deleted)');
  await c.ok('EXPUNGE');
  await c.ok('CREATE Reports');
  const r = crlf(msg('report-q4', 'q4 report'));
  c.send(`S2 APPEND Reports {${r.length}+}\r\n${r}\r\n`);
  assert.equal((await c.until('S2')).status, 'OK');
  await c.logout();

  await mbsync();
  const local = plain(readLocal());
  const server = plain(await readServer());
  assert.deepEqual(local, server);
  assert.equal(server['Archive/2024']!['<a2024-3@sync.test>'], '', 'local message went up');
  assert.match(server['INBOX']!['<lunch-1@example.org>']!, /\\Flagged/, 'local flag went up');
  assert.equal(local['INBOX']!['<server-new@sync.test>'], '\\Seen', 'server APPEND came down with its flag');
  assert.match(local['INBOX']!['<report-2@example.net>']!, /\\Answered/, 'server flag came down');
  assert.ok(!('<draft-2@sync.test>' in local['Entwürfe']!), 'server expunge removed the local copy');
  assert.equal(local['Reports']?.['<report-q4@sync.test>'], '', 'new server folder came down');

  // A third sync finds nothing to do: no local file renamed, added or removed, and on the
  // server the same UIDs with the same flags.
  const filesBefore = localFiles();
  const serverBefore = plain(await readServer(true));
  await mbsync();
  assert.deepEqual(localFiles(), filesBefore);
  assert.deepEqual(plain(await readServer(true)), serverBefore);
});
