// Mailbox commands: LIST (patterns, LIST-EXTENDED, LIST-STATUS, SPECIAL-USE), LSUB,
// CREATE/DELETE/RENAME (INBOX rename moves messages), SUBSCRIBE, STATUS and QUOTA.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestImap, type ImapTestServer } from './_test-harness.ts';

let s: ImapTestServer;
before(async () => { s = await startTestImap(); });
after(async () => { await s.stop(); });

test('LIST "" "" gives the separator; "%" and "*" walk the hierarchy; INBOX is case-insensitive', async () => {
  const c = await s.login('bob@demo.test', 'builder');
  assert.deepEqual((await c.cmd('LIST "" ""')).untagged, ['* LIST (\\Noselect) "/" ""']);
  assert.ok((await c.cmd('CREATE Projects/2024/Q1')).ok, 'missing parents are created too');
  const top = (await c.cmd('LIST "" "%"')).untagged;
  assert.ok(top.includes('* LIST (\\HasChildren) "/" "Projects"'), top.join('\n'));
  assert.ok(top.includes('* LIST (\\HasNoChildren \\Sent) "/" "Sent"'));
  assert.ok(!top.some((l) => l.includes('2024')));
  assert.deepEqual((await c.cmd('LIST "Projects/" "%"')).untagged, ['* LIST (\\HasChildren) "/" "Projects/2024"']);
  assert.deepEqual((await c.cmd('LIST "" "Projects/*"')).untagged, ['* LIST (\\HasChildren) "/" "Projects/2024"', '* LIST (\\HasNoChildren) "/" "Projects/2024/Q1"']);
  assert.deepEqual((await c.cmd('LIST "" "inbox"')).untagged, ['* LIST (\\HasNoChildren) "/" "INBOX"']);
  c.close();
});

test('LIST-EXTENDED: SPECIAL-USE selection, RETURN (SUBSCRIBED STATUS), SUBSCRIBED with RECURSIVEMATCH', async () => {
  const c = await s.login();
  const special = (await c.cmd('LIST (SPECIAL-USE) "" "*"')).untagged;
  assert.equal(special.length, 5);
  assert.ok(special.every((l) => /\\(Drafts|Sent|Trash|Junk|Archive)\)/.test(l)), special.join('\n'));
  await s.deliver('alice', 'Subject: one\n\nbody\n');
  const r = await c.cmd('LIST "" "INBOX" RETURN (SUBSCRIBED STATUS (MESSAGES UIDNEXT UNSEEN SIZE))');
  assert.equal(r.untagged[0], '* LIST (\\HasNoChildren) "/" "INBOX"');
  assert.match(r.untagged[1]!, /^\* STATUS "INBOX" \(MESSAGES 1 UIDNEXT 2 UNSEEN 1 SIZE \d+\)$/);
  assert.ok((await c.cmd('CREATE Lists/tandem')).ok);
  assert.ok((await c.cmd('SUBSCRIBE Lists/tandem')).ok);
  assert.ok((await c.cmd('SUBSCRIBE Gone/away')).ok, 'a name that does not exist may be subscribed');
  const sub = (await c.cmd('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"')).untagged;
  assert.ok(sub.includes('* LIST () "/" "Lists" (CHILDINFO ("SUBSCRIBED"))'), sub.join('\n'));
  assert.ok(sub.includes('* LIST (\\HasNoChildren \\Subscribed \\Sent) "/" "Sent"'), sub.join('\n'));
  const deep = (await c.cmd('LIST (SUBSCRIBED) "" "*"')).untagged;
  assert.ok(deep.includes('* LIST (\\NonExistent \\HasNoChildren \\Subscribed) "/" "Gone/away"'), deep.join('\n'));
  const lsub = (await c.cmd('LSUB "" "*"')).untagged;
  assert.ok(lsub.includes('* LSUB () "/" "Lists/tandem"') && lsub.includes('* LSUB (\\Noselect) "/" "Gone/away"'), lsub.join('\n'));
  assert.ok((await c.cmd('UNSUBSCRIBE Gone/away')).ok);
  assert.ok(!(await c.cmd('LSUB "" "*"')).untagged.some((l) => l.includes('Gone')));
  c.close();
});

test('CREATE: existing names, INBOX, bad names and foreign special uses are refused with a code', async () => {
  const c = await s.login();
  assert.match((await c.cmd('CREATE Sent')).tagged, /NO \[ALREADYEXISTS\]/);
  assert.match((await c.cmd('CREATE inbox')).tagged, /NO \[ALREADYEXISTS\] INBOX always exists/);
  assert.match((await c.cmd('CREATE "a//b"')).tagged, /NO \[CANNOT\] mailbox name has an empty hierarchy level/);
  assert.match((await c.cmd('CREATE Mine (USE (\\Sent))')).tagged, /NO \[USEATTR\]/);
  assert.ok((await c.cmd('CREATE "Entw&APw-rfe"')).ok);
  assert.ok((await c.cmd('LIST "" "Entw*"')).untagged.includes('* LIST (\\HasNoChildren) "/" "Entw&APw-rfe"'));
  assert.ok((await c.cmd('ENABLE UTF8=ACCEPT')).ok);
  assert.ok((await c.cmd('LIST "" "Entw*"')).untagged.includes(`* LIST (\\HasNoChildren) "/" "${Buffer.from('Entwürfe').toString('latin1')}"`), 'UTF-8 names after ENABLE');
  c.close();
});

test('DELETE and RENAME with children; renaming INBOX moves its messages and leaves INBOX', async () => {
  const c = await s.login('bob@demo.test', 'builder');
  assert.ok((await c.cmd('CREATE Old/child')).ok);
  assert.ok((await c.cmd('RENAME Old New')).ok);
  const after = (await c.cmd('LIST "" "*"')).untagged.join('\n');
  assert.match(after, /"New"/);
  assert.match(after, /"New\/child"/);
  assert.doesNotMatch(after, /"Old/);
  assert.match((await c.cmd('RENAME Missing Other')).tagged, /NO \[NONEXISTENT\]/);
  assert.match((await c.cmd('RENAME New Sent')).tagged, /NO \[ALREADYEXISTS\]/);
  assert.match((await c.cmd('RENAME New New/deeper')).tagged, /NO \[CANNOT\] cannot move New under itself/);
  assert.match((await c.cmd('DELETE INBOX')).tagged, /NO \[CANNOT\]/);
  assert.ok((await c.cmd('DELETE New')).ok);
  assert.match((await c.cmd('DELETE New')).tagged, /NO \[NONEXISTENT\]/);
  await s.deliver('bob', 'Subject: a\n\n1\n');
  await s.deliver('bob', 'Subject: b\n\n2\n');
  assert.match((await c.cmd('RENAME INBOX Saved')).tagged, /OK RENAME completed: 2 messages moved from INBOX/);
  assert.match((await c.cmd('STATUS Saved (MESSAGES)')).untagged[0]!, /MESSAGES 2/);
  assert.match((await c.cmd('STATUS INBOX (MESSAGES)')).untagged[0]!, /MESSAGES 0/);
  c.close();
});

test('STATUS items incl. HIGHESTMODSEQ, DELETED, SIZE, APPENDLIMIT; a missing mailbox is NO [NONEXISTENT]', async () => {
  const c = await s.login();
  const r = await c.cmd('STATUS Drafts (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE HIGHESTMODSEQ APPENDLIMIT)');
  assert.match(r.untagged[0]!, /^\* STATUS "Drafts" \(MESSAGES 0 RECENT 0 UIDNEXT 1 UIDVALIDITY \d+ UNSEEN 0 DELETED 0 SIZE 0 HIGHESTMODSEQ \d+ APPENDLIMIT 26214400\)$/);
  assert.match((await c.cmd('STATUS Nope (MESSAGES)')).tagged, /NO \[NONEXISTENT\]/);
  assert.match((await c.cmd('STATUS INBOX (BOGUS)')).tagged, /BAD unknown status item BOGUS/);
  c.close();
});

test('QUOTA: the user quota and usage in KiB; no quota root without a quota; SETQUOTA refused', async () => {
  s.vol.directory.updateUser('bob@demo.test', { quotaBytes: 1024 * 1024 });
  const c = await s.login('bob@demo.test', 'builder');
  const r = await c.cmd('GETQUOTAROOT INBOX');
  assert.equal(r.untagged[0], '* QUOTAROOT "INBOX" ""');
  assert.match(r.untagged[1]!, /^\* QUOTA "" \(STORAGE \d+ 1024\)$/);
  assert.match((await c.cmd('GETQUOTA ""')).untagged[0]!, /^\* QUOTA "" \(STORAGE \d+ 1024\)$/);
  assert.match((await c.cmd('SETQUOTA "" (STORAGE 99999)')).tagged, /NO \[NOPERM\] quotas are set by the administrator/);
  c.close();
  const a = await s.login();
  assert.deepEqual((await a.cmd('GETQUOTAROOT INBOX')).untagged, ['* QUOTAROOT "INBOX"']);
  assert.match((await a.cmd('GETQUOTA ""')).tagged, /NO \[NONEXISTENT\]/);
  a.close();
  s.vol.directory.updateUser('bob@demo.test', { quotaBytes: 0 });
});
