// SEARCH over real files: decoded headers (RFC 2047 in ISO-8859-1, UTF-8, ISO-2022-JP),
// bodies in QP/base64/7bit and several charsets, nested text parts, HEADER, TEXT, flags,
// dates in a given zone, sizes, sets with `*` and `$`, MODSEQ, boolean operators, order,
// cheap keys deciding without reading files, and needles across read-chunk boundaries.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { testVolume, fixture, crlf } from './_test-helpers.ts';
import type { SearchCandidate, SearchContext } from './api.ts';
import type { SearchKey } from '../proto/search-types.ts';
import { parseSequenceSet } from '../proto/sequence-set.ts';
import { dayOf } from './search.ts';

const vol = await testVolume({ cacheDir: null });
after(() => vol.cleanup());

const DAY = 86_400_000;
const NOW = Date.UTC(2024, 5, 15, 12, 0, 0);

async function candidate(uid: number, name: string, data: Buffer | string, extra: Partial<SearchCandidate> = {}): Promise<SearchCandidate> {
  const path = await vol.write(name, data);
  const size = Buffer.byteLength(data);
  return { uid, seq: uid, flags: [], internalDateMs: NOW - uid * DAY, size, modseq: uid * 10, path, id: name, ...extra };
}

// Chunk boundary: the scan and search read 64 KiB chunks; put a needle across one.
const filler = 'x'.repeat(100) + '\r\n';
let big = '';
while (big.length < 65536 - 300) big += filler;
const bigHeader = 'Subject: big\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n';
big = bigHeader + big + 'y'.repeat(65536 - (bigHeader.length + big.length) - 5) + 'NEEDLE-ACROSS-CHUNKS' + '\r\n';

const c = [
  await candidate(1, 'charsets.eml', await fixture('charsets.eml'), { flags: ['\\Seen', '$Forwarded'], modseq: 50 }),
  await candidate(2, 'rfc3501.eml', await fixture('rfc3501-bodystructure.eml'), { flags: ['\\Recent', '\\Flagged'] }),
  await candidate(3, 'rfc9051.eml', await fixture('rfc9051-sections.eml'), { flags: ['\\Recent', '\\Seen', '\\Answered'] }),
  await candidate(4, 'big.eml', big, { flags: ['\\Deleted', '\\Draft'] }),
  await candidate(5, 'nodate.eml', crlf('From: nobody@example.org\nSubject: no date\n\nplain body\n')),
];
const ctx: SearchContext = { nowMs: NOW, maxUid: 5, maxSeq: 5, saved: [2, 4], tzOffsetMinutes: 0 };
const run = (key: SearchKey, cands = c, context = ctx) => vol.layer.search(key, cands, context);
const set = (text: string) => parseSequenceSet(text)!;

test('FROM/TO/CC/SUBJECT match decoded encoded words and display names, case-insensitively', async () => {
  assert.deepEqual(await run({ key: 'FROM', value: 'andré' }), [1]);
  assert.deepEqual(await run({ key: 'FROM', value: 'ANDRÉ PIRARD' }), [1]);
  assert.deepEqual(await run({ key: 'FROM', value: 'pirard@vm1' }), [1], 'the address itself');
  assert.deepEqual(await run({ key: 'TO', value: 'MÜLLER' }), [1], 'UTF-8 B-encoded name');
  assert.deepEqual(await run({ key: 'CC', value: 'jørn simonsen' }), [1], 'encoded word inside a quoted string');
  assert.deepEqual(await run({ key: 'SUBJECT', value: 'こんにちは' }), [1], 'ISO-2022-JP encoded word');
  assert.deepEqual(await run({ key: 'SUBJECT', value: 'CAFÉ' }), [1]);
  assert.deepEqual(await run({ key: 'BCC', value: 'a' }), []);
  assert.deepEqual(await run({ key: 'CC', value: 'klensin' }), [2]);
  assert.deepEqual(await run({ key: 'SUBJECT', value: '' }), [1, 2, 3, 4, 5], 'an empty string matches any message with the field');
});

test('BODY searches decoded text parts: QP ISO-8859-1 with soft breaks, base64 UTF-8, ISO-2022-JP, nested messages; not attachments', async () => {
  assert.deepEqual(await run({ key: 'BODY', value: 'CAFÉ DE LA GARE' }), [1]);
  assert.deepEqual(await run({ key: 'BODY', value: 'qui continue ici' }), [1], 'soft line break joined');
  assert.deepEqual(await run({ key: 'BODY', value: 'straße nummer 42' }), [1]);
  assert.deepEqual(await run({ key: 'BODY', value: 'こんにちは sekai' }), [1]);
  assert.deepEqual(await run({ key: 'BODY', value: 'secret-in-attachment' }), [], 'application/octet-stream is not text');
  assert.deepEqual(await run({ key: 'BODY', value: 'part-4.2.2.2 TEXT/RICHTEXT' }), [3], 'inside message/rfc822 and multipart/alternative');
  assert.deepEqual(await run({ key: 'BODY', value: 'needle-across-chunks' }), [4], 'across a 64 KiB read boundary');
  assert.deepEqual(await run({ key: 'BODY', value: 'ticket-4711' }), [], 'BODY does not look at headers');
});

test('HEADER (empty value = field exists) and TEXT (headers + body)', async () => {
  assert.deepEqual(await run({ key: 'HEADER', field: 'X-Tracking', value: '' }), [1]);
  assert.deepEqual(await run({ key: 'HEADER', field: 'x-tracking', value: 'TICKET-4711' }), [1]);
  assert.deepEqual(await run({ key: 'HEADER', field: 'X-Nope', value: '' }), []);
  assert.deepEqual(await run({ key: 'HEADER', field: 'Message-ID', value: '<charsets@' }), [1]);
  assert.deepEqual(await run({ key: 'TEXT', value: 'ticket-4711' }), [1]);
  assert.deepEqual(await run({ key: 'TEXT', value: 'grüße aus' }), [1]);
  assert.deepEqual(await run({ key: 'TEXT', value: 'x-tracking: ticket' }), [1], 'field name and value');
});

test('flags, keywords, NEW/OLD and the UN- forms', async () => {
  assert.deepEqual(await run({ key: 'SEEN' }), [1, 3]);
  assert.deepEqual(await run({ key: 'UNSEEN' }), [2, 4, 5]);
  assert.deepEqual(await run({ key: 'NEW' }), [2]);
  assert.deepEqual(await run({ key: 'OLD' }), [1, 4, 5]);
  assert.deepEqual(await run({ key: 'RECENT' }), [2, 3]);
  assert.deepEqual(await run({ key: 'ANSWERED' }), [3]);
  assert.deepEqual(await run({ key: 'UNANSWERED' }), [1, 2, 4, 5]);
  assert.deepEqual(await run({ key: 'DELETED' }), [4]);
  assert.deepEqual(await run({ key: 'UNDELETED' }), [1, 2, 3, 5]);
  assert.deepEqual(await run({ key: 'DRAFT' }), [4]);
  assert.deepEqual(await run({ key: 'UNDRAFT' }), [1, 2, 3, 5]);
  assert.deepEqual(await run({ key: 'FLAGGED' }), [2]);
  assert.deepEqual(await run({ key: 'UNFLAGGED' }), [1, 3, 4, 5]);
  assert.deepEqual(await run({ key: 'KEYWORD', flag: '$forwarded' }), [1]);
  assert.deepEqual(await run({ key: 'UNKEYWORD', flag: '$Forwarded' }), [2, 3, 4, 5]);
  assert.deepEqual(await run({ key: 'ALL' }), [1, 2, 3, 4, 5]);
});

test('dates: BEFORE/ON/SINCE on INTERNALDATE, SENT* on the Date header, in the given zone', async () => {
  // Internal dates: uid n is NOW - n days (NOW = 2024-06-15 12:00 UTC).
  assert.deepEqual(await run({ key: 'ON', day: '2024-06-13' }), [2]);
  assert.deepEqual(await run({ key: 'BEFORE', day: '2024-06-12' }), [4, 5]);
  assert.deepEqual(await run({ key: 'SINCE', day: '2024-06-12' }), [1, 2, 3]);
  // charsets.eml: Tue, 1 Mar 2022 10:00:00 +0100 = 09:00 UTC.
  assert.deepEqual(await run({ key: 'SENTON', day: '2022-03-01' }), [1]);
  assert.deepEqual(await run({ key: 'SENTON', day: '2022-02-28' }, c, { ...ctx, tzOffsetMinutes: -600 }), [1], '09:00 UTC is the previous day at UTC-10');
  assert.deepEqual(await run({ key: 'SENTBEFORE', day: '2000-01-01' }), [2, 3], '1996 and 1994');
  assert.deepEqual(await run({ key: 'SENTSINCE', day: '2000-01-01' }), [1], 'messages without a Date header match no SENT* key');
  assert.deepEqual(await run({ key: 'NOT', inner: { key: 'SENTSINCE', day: '2000-01-01' } }), [2, 3, 4, 5]);
  assert.equal(dayOf(Date.UTC(2024, 0, 1, 23, 30), 60), '2024-01-02');
  assert.equal(dayOf(Date.UTC(2024, 0, 1, 0, 30), -60), '2023-12-31');
});

test('LARGER/SMALLER, OLDER/YOUNGER, UID and SEQ sets with * and $, MODSEQ', async () => {
  const sizes = c.map((x) => x.size);
  const mid = [...sizes].sort((a, b) => a - b)[2]!;
  assert.deepEqual(await run({ key: 'LARGER', size: mid }), c.filter((x) => x.size > mid).map((x) => x.uid));
  assert.deepEqual(await run({ key: 'SMALLER', size: mid }), c.filter((x) => x.size < mid).map((x) => x.uid));
  assert.deepEqual(await run({ key: 'OLDER', seconds: 3 * 86_400 }), [4, 5]);
  assert.deepEqual(await run({ key: 'YOUNGER', seconds: 3 * 86_400 }), [1, 2, 3]);
  assert.deepEqual(await run({ key: 'UID', set: set('2,4:*') }), [2, 4, 5]);
  assert.deepEqual(await run({ key: 'UID', set: set('*') }), [5]);
  assert.deepEqual(await run({ key: 'SEQ', set: set('1:2') }), [1, 2]);
  assert.deepEqual(await run({ key: 'UID', set: set('$') }), [2, 4]);
  assert.deepEqual(await run({ key: 'SEQ', set: set('$') }, c, { ...ctx, saved: null }), []);
  assert.deepEqual(await run({ key: 'MODSEQ', modseq: 30n, entry: null }), [1, 3, 4, 5]);
});

test('NOT, OR, AND nest; results keep the order of the candidates', async () => {
  const key: SearchKey = { key: 'AND', keys: [{ key: 'OR', left: { key: 'SEEN' }, right: { key: 'FLAGGED' } }, { key: 'NOT', inner: { key: 'BODY', value: 'café' } }] };
  assert.deepEqual(await run(key), [2, 3]);
  assert.deepEqual(await run(key, [...c].reverse()), [3, 2]);
  assert.deepEqual(await run({ key: 'OR', left: { key: 'BODY', value: 'plain body' }, right: { key: 'FROM', value: 'terry' } }), [2, 5]);
});

test('cheap keys decide without reading files; a vanished file matches no content key', async () => {
  // A directory as the message path: reading it fails with EISDIR, which a search reports.
  const unreadable: SearchCandidate = { uid: 9, seq: 6, flags: ['\\Seen'], internalDateMs: NOW, size: 10, modseq: 1, path: vol.root, id: 'unreadable' };
  await assert.rejects(run({ key: 'BODY', value: 'x' }, [unreadable]), /cannot read message file/);
  // UNSEEN is false, so BODY (listed first) is never evaluated and the file never read.
  assert.deepEqual(await run({ key: 'AND', keys: [{ key: 'BODY', value: 'x' }, { key: 'UNSEEN' }] }, [unreadable]), []);
  assert.deepEqual(await run({ key: 'OR', left: { key: 'BODY', value: 'x' }, right: { key: 'SEEN' } }, [unreadable]), [9], 'SEEN decides the OR');
  const ghost: SearchCandidate = { ...unreadable, path: join(vol.root, 'does-not-exist.eml'), id: 'ghost' };
  assert.deepEqual(await run({ key: 'BODY', value: 'plain' }, [ghost, c[4]!]), [5], 'a vanished file matches nothing and does not fail the search');
});

test('header searches are answered from memory after the first scan: the file is not read again', async () => {
  const own = await testVolume({ cacheDir: null });
  try {
    const path = await own.write('cached.eml', crlf('From: =?UTF-8?Q?Zo=C3=AB?= <zoe@example.org>\nSubject: cached\n\nbody text\n'));
    const cand: SearchCandidate = { uid: 7, seq: 1, flags: [], internalDateMs: NOW, size: 10, modseq: 1, path, id: 'cached' };
    assert.deepEqual(await own.layer.search({ key: 'FROM', value: 'zoë' }, [cand], ctx), [7]);
    await rm(path);
    assert.deepEqual(await own.layer.search({ key: 'FROM', value: 'ZOË' }, [cand], ctx), [7], 'meta and decoded header from memory');
    assert.deepEqual(await own.layer.search({ key: 'BODY', value: 'body' }, [cand], ctx), [], 'the body needs the file, which is gone');
  } finally {
    await own.cleanup();
  }
});
