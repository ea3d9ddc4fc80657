// Tests for untagged data builders against the response examples of RFC 9051 section 7
// and the extensions (RFC 4731, 5258, 7162, 9208, 2971).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { atom } from './format.ts';
import * as U from './untagged.ts';

const s = (b: Buffer) => b.toString('utf8');

test('untagged builders write the RFC examples byte for byte', () => {
  const cases: Array<[Buffer, string]> = [
    [U.capabilityResponse(['IMAP4rev2', 'STARTTLS', 'AUTH=GSSAPI']), '* CAPABILITY IMAP4rev2 STARTTLS AUTH=GSSAPI'],
    [U.enabledResponse(['CONDSTORE']), '* ENABLED CONDSTORE'],
    [U.countResponse(23, 'EXISTS'), '* 23 EXISTS'], [U.countResponse(3, 'EXPUNGE'), '* 3 EXPUNGE'],
    [U.flagsResponse(['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft']), '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)'],
    [U.listResponse('LIST', ['\\Noselect'], '/', 'foo'), '* LIST (\\Noselect) "/" "foo"'],
    [U.listResponse('LIST', ['\\Subscribed', '\\NonExistent'], '/', 'Fruit/Peach', true), '* LIST (\\Subscribed \\NonExistent) "/" "Fruit/Peach" (CHILDINFO ("SUBSCRIBED"))'],
    [U.statusResponse('blurdybloop', [['MESSAGES', 231], ['UIDNEXT', 44292]]), '* STATUS "blurdybloop" (MESSAGES 231 UIDNEXT 44292)'],
    [U.statusResponse('x', [['HIGHESTMODSEQ', 7011231777n]]), '* STATUS "x" (HIGHESTMODSEQ 7011231777)'],
    [U.searchResponse([2, 84, 882]), '* SEARCH 2 84 882'], [U.searchResponse([]), '* SEARCH'],
    [U.searchResponse([2, 5, 6], 917162500n), '* SEARCH 2 5 6 (MODSEQ 917162500)'],
    [U.esearchResponse('A282', false, { min: 2, count: 3 }), '* ESEARCH (TAG "A282") MIN 2 COUNT 3'],
    [U.esearchResponse('A283', true, { all: '2,10:11' }), '* ESEARCH (TAG "A283") UID ALL 2,10:11'],
    [U.esearchResponse('A284', false, { all: '' }), '* ESEARCH (TAG "A284")'],
    [U.fetchResponse(12, [['FLAGS', [atom('\\Seen')]], ['UID', 4827313], ['BODY[HEADER]', Buffer.from('a: b\r\n\r\n')]]), '* 12 FETCH (FLAGS (\\Seen) UID 4827313 BODY[HEADER] {8}\r\na: b\r\n\r\n)'],
    [U.vanishedResponse('41,43:116,118', true), '* VANISHED (EARLIER) 41,43:116,118'], [U.vanishedResponse('405', false), '* VANISHED 405'],
    [U.quotaResponse('', [{ name: 'STORAGE', usage: 10, limit: 512 }]), '* QUOTA "" (STORAGE 10 512)'],
    [U.quotaRootResponse('INBOX', ['']), '* QUOTAROOT "INBOX" ""'],
    [U.namespaceResponse('/'), '* NAMESPACE (("" "/")) NIL NIL'],
    [U.idResponse([['name', 'Tandem'], ['version', null]]), '* ID ("name" "Tandem" "version" NIL)'], [U.idResponse(null), '* ID NIL'],
  ];
  for (const [bytes, line] of cases) assert.equal(s(bytes), `${line}\r\n`);
});

test('UTF-8 mailbox names are quoted only when the client enabled UTF-8', () => {
  assert.equal(s(U.listResponse('LIST', [], '/', 'Entwürfe', false, { utf8: true, maxQuoted: 1024 })), '* LIST () "/" "Entwürfe"\r\n');
  assert.match(s(U.listResponse('LIST', [], '/', 'Entwürfe')), /\{9\}\r\nEntwürfe\r\n$/);
});
