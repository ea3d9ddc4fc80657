// Table tests for parseCommand with the examples of RFC 3501 section 6 and RFC 9051
// section 6, plus the extensions' examples (RFC 2971, 4731, 5258, 6851, 7162, 9208).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOk, parseText } from './_test-helpers.ts';

const R = (...ranges: Array<[number | '*', number | '*']>) => ({ kind: 'ranges', ranges: ranges.map(([start, end]) => ({ start, end })) });

test('commands without arguments (RFC 3501 6.1, 6.3.1, 6.4)', () => {
  for (const name of ['CAPABILITY', 'NOOP', 'LOGOUT', 'STARTTLS', 'NAMESPACE', 'CHECK', 'CLOSE', 'UNSELECT', 'IDLE', 'EXPUNGE']) {
    const c = parseOk(`a002 ${name.toLowerCase()}`);
    assert.equal(c.name, name);
    assert.equal(c.tag, 'a002');
    assert.equal(c.uid, false);
    assert.match((parseText(`a ${name} extra`) as { reason: string }).reason, /unexpected|no arguments/, name);
  }
});

test('authentication commands', () => {
  assert.deepEqual(parseOk('a COMPRESS deflate'), { name: 'COMPRESS', mechanism: 'DEFLATE', tag: 'a', uid: false });
  assert.match((parseText('a COMPRESS') as { reason: string }).reason, /missing mechanism/);
  assert.deepEqual(parseOk('a001 LOGIN SMITH SESAME'), { name: 'LOGIN', username: 'SMITH', password: 'SESAME', tag: 'a001', uid: false });
  assert.equal(parseOk('A001 LOGIN {11+}\r\nFRED FOOBAR {7+}\r\nfat man').password, 'fat man');
  assert.deepEqual(parseOk('A001 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q='), { name: 'AUTHENTICATE', mechanism: 'PLAIN', initialResponse: 'dGVzdAB0ZXN0AHRlc3Q=', tag: 'A001', uid: false });
  assert.equal(parseOk('a authenticate plain').initialResponse, null);
  assert.equal(parseOk('a AUTHENTICATE PLAIN =').initialResponse, '=');
  assert.deepEqual(parseOk('t2 ENABLE CONDSTORE imap4rev2').capabilities, ['CONDSTORE', 'IMAP4REV2']);
  assert.ok('error' in parseText('t ENABLE'));
  assert.ok('error' in parseText('a LOGIN onlyuser'));
});

test('ID (RFC 2971 section 3.1)', () => {
  assert.equal(parseOk('a023 ID NIL').params, null);
  assert.deepEqual(parseOk('a023 ID ("name" "sodr" "version" NIL)').params, [['name', 'sodr'], ['version', null]]);
  assert.ok('error' in parseText('a ID ("name")'));
});

test('SELECT and EXAMINE with CONDSTORE and QRESYNC (RFC 3501 6.3.1, RFC 7162 3.2.5)', () => {
  assert.deepEqual(parseOk('A142 SELECT INBOX'), { name: 'SELECT', mailbox: 'INBOX', condstore: false, qresync: null, tag: 'A142', uid: false });
  assert.equal(parseOk('A932 EXAMINE blurdybloop').name, 'EXAMINE');
  assert.equal(parseOk('a SELECT INBOX (CONDSTORE)').condstore, true);
  assert.deepEqual(parseOk('A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))').qresync, {
    uidValidity: 67890007, modseq: 20050715194045000n, knownUids: R([41, 41], [43, 211], [214, 541]), seqMatch: null,
  });
  assert.deepEqual(parseOk('B04 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000,9990:9999 15000,22500,27000,29970,29973,29976,29979,29982,29985,29988,29991,29994,29997)))').qresync, {
    uidValidity: 67890007, modseq: 90060115194045000n, knownUids: R([1, 29997]),
    seqMatch: { seqs: R([5000, 5000], [7500, 7500], [9000, 9000], [9990, 9999]), uids: R(...[15000, 22500, 27000, 29970, 29973, 29976, 29979, 29982, 29985, 29988, 29991, 29994, 29997].map((n) => [n, n] as [number, number])) },
  });
  assert.ok('error' in parseText('a SELECT INBOX (FOO)'));
});

test('mailbox management (RFC 3501 6.3.3-6.3.7, RFC 6154 CREATE USE)', () => {
  assert.deepEqual(parseOk('A003 CREATE owatagusiam/'), { name: 'CREATE', mailbox: 'owatagusiam/', specialUse: [], tag: 'A003', uid: false });
  assert.deepEqual(parseOk('t1 CREATE MySpecial (USE (\\Drafts \\Sent))').specialUse, ['\\Drafts', '\\Sent']);
  assert.equal(parseOk('A683 DELETE blurdybloop').mailbox, 'blurdybloop');
  assert.deepEqual(parseOk('A683 RENAME blurdybloop sarasoop'), { name: 'RENAME', from: 'blurdybloop', to: 'sarasoop', tag: 'A683', uid: false });
  assert.equal(parseOk('A002 SUBSCRIBE #news.comp.mail.mime').mailbox, '#news.comp.mail.mime');
  assert.equal(parseOk('A002 UNSUBSCRIBE "#news.comp.mail.mime"').name, 'UNSUBSCRIBE');
  assert.ok('error' in parseText('a RENAME onlyone'));
});

test('LIST, LIST-EXTENDED, LIST-STATUS, SPECIAL-USE and LSUB (RFC 3501 6.3.8, RFC 5258, 5819, 6154)', () => {
  assert.deepEqual(parseOk('A101 LIST "" ""'), {
    name: 'LIST', reference: '', patterns: [''], selection: [], extended: false,
    returns: { subscribed: false, children: false, specialUse: false, status: null }, tag: 'A101', uid: false,
  });
  assert.deepEqual(parseOk('A202 LIST ~/Mail/ %').patterns, ['%']);
  const ext = parseOk('A02 LIST (SUBSCRIBED RECURSIVEMATCH) "" ("INBOX" "Drafts" %) RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN))');
  assert.deepEqual(ext.selection, ['SUBSCRIBED', 'RECURSIVEMATCH']);
  assert.deepEqual(ext.patterns, ['INBOX', 'Drafts', '%']);
  assert.deepEqual(ext.returns, { subscribed: false, children: true, specialUse: true, status: ['MESSAGES', 'UNSEEN'] });
  assert.equal(ext.extended, true);
  assert.deepEqual(parseOk('t3 LIST (SPECIAL-USE) "" "*"').selection, ['SPECIAL-USE']);
  assert.match((parseText('a LIST (RECURSIVEMATCH) "" *') as { reason: string }).reason, /RECURSIVEMATCH/);
  assert.deepEqual(parseOk('A002 LSUB "#news." "comp.mail.*"'), { name: 'LSUB', reference: '#news.', pattern: 'comp.mail.*', tag: 'A002', uid: false });
});

test('STATUS (RFC 3501 6.3.10, RFC 9051 6.3.11)', () => {
  assert.deepEqual(parseOk('A042 STATUS blurdybloop (UIDNEXT MESSAGES)').items, ['UIDNEXT', 'MESSAGES']);
  assert.deepEqual(parseOk('a STATUS x (SIZE DELETED HIGHESTMODSEQ APPENDLIMIT)').items, ['SIZE', 'DELETED', 'HIGHESTMODSEQ', 'APPENDLIMIT']);
  assert.ok('error' in parseText('a STATUS x (BOGUS)'));
  assert.ok('error' in parseText('a STATUS x ()'));
});

test('APPEND with flags, date-time and literal; MULTIAPPEND (RFC 3501 6.3.11, RFC 3502)', () => {
  const msg = 'Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\nSubject: afternoon meeting\r\n\r\nHello Joe\r\n';
  const c = parseOk(`A003 APPEND saved-messages (\\Seen) {${msg.length}+}\r\n${msg}`);
  assert.equal(c.mailbox, 'saved-messages');
  const [m] = c.messages as Array<{ flags: string[]; date: Date | null; data: Buffer }>;
  assert.deepEqual(m!.flags, ['\\Seen']);
  assert.equal(m!.date, null);
  assert.equal(m!.data.toString(), msg);
  const dated = parseOk('a APPEND INBOX "17-Jul-1996 02:44:25 -0700" {3+}\r\nabc').messages as Array<{ date: Date }>;
  assert.equal(dated[0]!.date.toISOString(), '1996-07-17T09:44:25.000Z');
  const multi = parseOk('A003 APPEND saved-messages (\\Seen) {3+}\r\nabc (\\Draft $Junk) " 1-Feb-2024 00:00:00 +0000" {2+}\r\nde').messages as Array<{ flags: string[] }>;
  assert.deepEqual(multi.map((x) => x.flags), [['\\Seen'], ['\\Draft', '$Junk']]);
  assert.match((parseText('a APPEND INBOX "31-Feb-2024 00:00:00 +0000" {1+}\r\nx') as { reason: string }).reason, /date-time/);
  assert.ok('error' in parseText('a APPEND INBOX (\\Seen)'));
});

test('UID variants, UID EXPUNGE, COPY and MOVE (RFC 3501 6.4.8, RFC 4315, RFC 6851)', () => {
  assert.deepEqual(parseOk('A003 COPY 2:4 MEETING'), { name: 'COPY', sequence: R([2, 4]), mailbox: 'MEETING', tag: 'A003', uid: false });
  assert.deepEqual(parseOk('a UID MOVE 42:69 foo'), { name: 'MOVE', sequence: R([42, 69]), mailbox: 'foo', tag: 'a', uid: true });
  assert.deepEqual(parseOk('A003 UID EXPUNGE 3000:3002'), { name: 'EXPUNGE', uids: R([3000, 3002]), tag: 'A003', uid: true });
  assert.ok('error' in parseText('a UID EXPUNGE'));
  assert.ok('error' in parseText('a UID LOGIN x y'));
  assert.ok('error' in parseText('a COPY 0 x'));
  assert.deepEqual(parseOk('a COPY $ Trash').sequence, { kind: 'saved' });
});

test('STORE (+/-)FLAGS[.SILENT] and UNCHANGEDSINCE (RFC 3501 6.4.6, RFC 7162 3.1.3)', () => {
  assert.deepEqual(parseOk('A003 STORE 2:4 +FLAGS (\\Deleted)'), {
    name: 'STORE', sequence: R([2, 4]), action: 'add', silent: false, flags: ['\\Deleted'], unchangedSince: null, tag: 'A003', uid: false,
  });
  const c = parseOk('d105 STORE 7,5,9 (UNCHANGEDSINCE 320162338) -FLAGS.SILENT (\\Deleted $Junk)');
  assert.deepEqual([c.action, c.silent, c.flags, c.unchangedSince], ['remove', true, ['\\Deleted', '$Junk'], 320162338n]);
  assert.deepEqual(parseOk('a UID STORE 1:* FLAGS \\Seen \\Answered').flags, ['\\Seen', '\\Answered']);
  assert.deepEqual(parseOk('a STORE 1 FLAGS ()').flags, []);
  assert.ok('error' in parseText('a STORE 1 LABELS (x)'));
});

test('QUOTA (RFC 9208 section 4)', () => {
  assert.deepEqual(parseOk('G0001 GETQUOTA "!partition/sda4"'), { name: 'GETQUOTA', root: '!partition/sda4', tag: 'G0001', uid: false });
  assert.equal(parseOk('A003 GETQUOTAROOT INBOX').mailbox, 'INBOX');
  assert.deepEqual(parseOk('S0000 SETQUOTA "#user/alice" (STORAGE 510)').limits, [{ resource: 'STORAGE', limit: 510 }]);
});

test('SORT and THREAD (RFC 5256)', () => {
  const s = parseOk('A283 SORT (SUBJECT REVERSE DATE) UTF-8 ALL');
  assert.deepEqual(s.keys, [{ reverse: false, key: 'SUBJECT' }, { reverse: true, key: 'DATE' }]);
  assert.deepEqual([s.charset, s.criteria, s.returns], ['UTF-8', { key: 'ALL' }, null]);
  assert.deepEqual(parseOk('a UID SORT RETURN (COUNT) (ARRIVAL) us-ascii SEEN').returns, ['COUNT']);
  assert.deepEqual(parseOk('A283 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000'), {
    name: 'THREAD', algorithm: 'ORDEREDSUBJECT', charset: 'UTF-8', criteria: { key: 'SINCE', day: '2000-03-05' }, tag: 'A283', uid: false,
  });
  assert.ok('error' in parseText('a SORT (REVERSE) UTF-8 ALL'));
});

test('unknown commands and bad arguments are values naming the problem', () => {
  assert.deepEqual(parseText('a1 FROB x'), { error: true, tag: 'a1', reason: 'unknown command FROB' });
  assert.deepEqual(parseText('a1 toString'), { error: true, tag: 'a1', reason: 'unknown command TOSTRING' });
  assert.deepEqual(parseText('a1 SELECT'), { error: true, tag: 'a1', reason: 'SELECT: missing mailbox' });
  assert.deepEqual(parseText('a1 "SELECT"'), { error: true, tag: 'a1', reason: 'command: command name must be an atom' });
});

test('RFC 9051 section 6 examples', () => {
  assert.deepEqual(parseOk('t1 ENABLE IMAP4rev2').capabilities, ['IMAP4REV2']);
  assert.deepEqual(parseOk('A02 LIST (SUBSCRIBED) "" "*"').selection, ['SUBSCRIBED']);
  assert.deepEqual(parseOk('A01 LIST "" % RETURN (STATUS (MESSAGES UNSEEN))').returns, { subscribed: false, children: false, specialUse: false, status: ['MESSAGES', 'UNSEEN'] });
  assert.deepEqual(parseOk('A04 LIST "" "%" RETURN (SUBSCRIBED)').returns, { subscribed: true, children: false, specialUse: false, status: null });
  assert.equal(parseOk('A042 STATUS blurdybloop (UIDNEXT MESSAGES)').mailbox, 'blurdybloop');
  assert.deepEqual(parseOk('A003 STORE 2:4 +FLAGS (\\Deleted)').flags, ['\\Deleted']);
  assert.deepEqual(parseOk('A999 UID FETCH 4827313:4828442 FLAGS').sequence, R([4827313, 4828442]));
  assert.equal(parseOk('A005 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)').changedSince, 1n);
  assert.deepEqual(parseOk('A001 LOGIN {11+}\r\nFRED FOOBAR {7+}\r\nfat man').username, 'FRED FOOBAR');
  assert.deepEqual(parseOk('a1 RENAME "Foo" "Zap"'), { name: 'RENAME', from: 'Foo', to: 'Zap', tag: 'a1', uid: false });
  assert.equal(parseOk('A341 CLOSE').name, 'CLOSE');
  assert.equal(parseOk('A202 EXPUNGE').name, 'EXPUNGE');
});

test('RFC 3501 section 6.3.8 LIST examples', () => {
  assert.deepEqual(parseOk('A682 LIST "" *').patterns, ['*']);
  assert.deepEqual([parseOk('A103 LIST /usr/staff/jones ""').reference, parseOk('A103 LIST /usr/staff/jones ""').patterns], ['/usr/staff/jones', ['']]);
  assert.deepEqual(parseOk('A202 LIST ~/Mail/ %').reference, '~/Mail/');
  assert.equal(parseOk('A001 AUTHENTICATE GSSAPI').mechanism, 'GSSAPI');
});

test('APPEND UTF8 (~{n}) carries a literal8 (RFC 6855 section 4)', () => {
  const [m] = parseOk('a APPEND INBOX (\\Seen) UTF8 (~{4+}\r\nab\0c)').messages as Array<{ utf8: boolean; data: Buffer }>;
  assert.deepEqual([m!.utf8, m!.data.toString('latin1')], [true, 'ab\0c']);
  assert.equal((parseOk('a APPEND INBOX {1+}\r\nx').messages as Array<{ utf8: boolean }>)[0]!.utf8, false);
  assert.ok('error' in parseText('a APPEND INBOX UTF8 ({1+}\r\nx {1+}\r\ny)'));
});
