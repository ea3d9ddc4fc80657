// SORT (RFC 5256, RFC 5957) and THREAD (RFC 5256): base subjects, every sort key, REVERSE
// and ties, the RFC's THREAD wire example built from real headers, dummy parents, subject
// merging, reference loops, very deep reply chains, and ORDEREDSUBJECT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanBuffer } from './mime-scan.ts';
import { metaOf } from './structure.ts';
import { baseSubject, extractSubject } from './subject.ts';
import { sortMessages } from './sort.ts';
import { threadMessages } from './thread.ts';
import { formatThreads } from './thread-format.ts';
import type { MessageMeta, SearchCandidate, ThreadNode } from './api.ts';
import type { SortKey } from '../proto/command-types.ts';

interface Spec { uid: number; headers?: Record<string, string>; internal?: number; size?: number; seq?: number }

/** Candidates and a meta function over in-memory header blocks, parsed by the real scanner. */
function mailbox(specs: Spec[]) {
  const metas = new Map<string, MessageMeta>();
  const cands: SearchCandidate[] = specs.map((s, i) => {
    const text = Object.entries(s.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\nbody\r\n';
    metas.set(`id${s.uid}`, metaOf(scanBuffer(Buffer.from(text))));
    return { uid: s.uid, seq: s.seq ?? i + 1, flags: [], internalDateMs: s.internal ?? Date.UTC(2024, 0, 1) + s.uid * 1000, size: s.size ?? 100, modseq: 1, path: `/nonexistent/${s.uid}`, id: `id${s.uid}` };
  });
  const metaFn = async (_path: string, id: string) => metas.get(id)!;
  return {
    cands,
    sort: (keys: SortKey[]) => sortMessages(keys, cands, metaFn),
    thread: async (alg: 'REFERENCES' | 'ORDEREDSUBJECT') => formatThreads(await threadMessages(alg, cands, metaFn)),
  };
}

const k = (key: SortKey['key'], reverse = false): SortKey => ({ key, reverse });

test('RFC 5256 2.1 base subject: leaders, blobs, trailers, [fwd: ] wrappers, encoded words, whitespace', () => {
  const cases: Array<[string, string, boolean]> = [
    ['Re: hello', 'hello', true],
    ['RE: Re: re[2]: hello', 'hello', true],
    ['Fwd: hello (fwd)', 'hello', true],
    ['[list] Re: hello', 'hello', true],
    ['Re: [list] hello', 'hello', true],
    ['[fwd: Re: hello]', 'hello', true],
    ['[list]', '[list]', false],
    ['hello   world\t again', 'hello world again', false],
    ['=?UTF-8?Q?Re=3A_caf=C3=A9?=', 'café', true],
    ['Fw: hi', 'hi', true],
    ['Reply: hi', 'Reply: hi', false],
    ['', '', false],
  ];
  for (const [input, base, reply] of cases) {
    assert.deepEqual(extractSubject(input), { base, isReplyOrForward: reply }, input);
  }
  assert.equal(baseSubject(null), '');
});

test('SORT by ARRIVAL, SIZE, DATE (UTC, INTERNALDATE when missing), SUBJECT, FROM, TO, CC; ties by sequence', async () => {
  const mb = mailbox([
    { uid: 10, internal: 300, size: 50, headers: { Date: 'Mon, 1 Jan 2024 10:00:00 +0200', Subject: 'Re: banana', From: 'Zed <zed@x>', To: 'b@x', Cc: 'c@x' } },
    { uid: 11, internal: 100, size: 70, headers: { Date: 'Mon, 1 Jan 2024 09:30:00 +0000', Subject: 'apple', From: 'amy@x', To: 'a@x' } },
    { uid: 12, internal: 200, size: 50, headers: { Subject: '[list] Cherry', From: 'Bob <BOB@x>', To: 'undisclosed:;', Cc: 'a@x' } },
  ]);
  assert.deepEqual(await mb.sort([k('ARRIVAL')]), [11, 12, 10]);
  assert.deepEqual(await mb.sort([k('SIZE')]), [10, 12, 11], 'equal sizes keep sequence order');
  assert.deepEqual(await mb.sort([k('SIZE', true)]), [11, 10, 12], 'REVERSE does not reverse the sequence tie-break');
  // 10:00 +0200 is 08:00 UTC, before 09:30 UTC; uid 12 has no Date: its INTERNALDATE (1970) is earliest.
  assert.deepEqual(await mb.sort([k('DATE')]), [12, 10, 11]);
  assert.deepEqual(await mb.sort([k('SUBJECT')]), [11, 10, 12]);
  assert.deepEqual(await mb.sort([k('FROM')]), [11, 12, 10]);
  assert.deepEqual(await mb.sort([k('TO')]), [12, 11, 10], 'an empty group sorts first (no address)');
  assert.deepEqual(await mb.sort([k('CC')]), [11, 12, 10]);
  assert.deepEqual(await mb.sort([k('SIZE'), k('SUBJECT', true)]), [12, 10, 11]);
});

test('SORT DISPLAYFROM/DISPLAYTO (RFC 5957): decoded display name, else the addr-spec', async () => {
  const mb = mailbox([
    { uid: 1, headers: { From: '=?ISO-8859-1?Q?=C9mile?= <zz@x>', To: 'zeta@x' } },
    { uid: 2, headers: { From: 'cara@x', To: '"Alpha" <yy@x>' } },
    { uid: 3, headers: { From: '"Bruno" <aa@x>', To: 'Mid <m@x>' } },
  ]);
  assert.deepEqual(await mb.sort([k('DISPLAYFROM')]), [3, 2, 1], 'bruno < cara@x < émile');
  assert.deepEqual(await mb.sort([k('FROM')]), [3, 2, 1], 'FROM uses the mailbox: aa < cara < zz');
  assert.deepEqual(await mb.sort([k('DISPLAYTO')]), [2, 3, 1]);
});

test('THREAD wire form: the RFC 5256 examples', () => {
  const n = (id: number | null, ...children: ThreadNode[]): ThreadNode => ({ id, children });
  assert.equal(formatThreads([n(2), n(3, n(6, n(4, n(23)), n(44, n(7, n(96)))))]), '(2)(3 6 (4 23)(44 7 96))');
  assert.equal(formatThreads([n(null, n(3), n(5))]), '((3)(5))');
  assert.equal(formatThreads([n(1, n(2, n(3), n(4)))]), '(1 2 (3)(4))');
  assert.equal(formatThreads([]), '');
});

/** A reply chain: `parent` is the uid replied to (its Message-ID <uid@x> goes into References). */
function reply(uid: number, minute: number, subject: string, parents: number[] = []): Spec {
  const headers: Record<string, string> = { 'Message-ID': `<${uid}@x>`, Subject: subject, Date: `Mon, 1 Jan 2024 10:${String(minute).padStart(2, '0')}:00 +0000` };
  if (parents.length) headers.References = parents.map((p) => `<${p}@x>`).join(' ');
  return { uid, headers };
}

test('THREAD=REFERENCES rebuilds the RFC 5256 example (2)(3 6 (4 23)(44 7 96)) from headers', async () => {
  const mb = mailbox([
    reply(2, 1, 'lone'),
    reply(3, 2, 'topic'),
    reply(6, 3, 'Re: topic', [3]),
    reply(4, 4, 'Re: topic', [3, 6]),
    reply(23, 5, 'Re: topic', [3, 6, 4]),
    reply(44, 6, 'Re: topic', [3, 6]),
    reply(7, 7, 'Re: topic', [3, 6, 44]),
    reply(96, 8, 'Re: topic', [6, 44, 7]), // a truncated References still finds its place
  ]);
  assert.equal(await mb.thread('REFERENCES'), '(2)(3 6 (4 23)(44 7 96))');
});

test('THREAD=REFERENCES: a missing parent becomes a dummy; one child is promoted, several stay under ((a)(b))', async () => {
  const twins = mailbox([reply(3, 1, 'a', [99]), reply(5, 2, 'b', [99])]);
  assert.equal(await twins.thread('REFERENCES'), '((3)(5))');
  const single = mailbox([reply(3, 1, 'a', [98, 99])]);
  assert.equal(await single.thread('REFERENCES'), '(3)');
  const inner = mailbox([reply(1, 1, 'root'), reply(3, 2, 'x', [1, 50]), reply(4, 3, 'y', [1, 50])]);
  assert.equal(await inner.thread('REFERENCES'), '(1 (3)(4))', 'a dummy below the root gives its children to its parent');
});

test('THREAD=REFERENCES merges root threads by base subject: a reply joins the original; two originals get a dummy', async () => {
  const replyJoins = mailbox([reply(1, 1, 'Lunch?'), reply(2, 2, 'Re: lunch?')]);
  assert.equal(await replyJoins.thread('REFERENCES'), '(1 2)');
  const twoOriginals = mailbox([reply(1, 1, 'Status'), reply(2, 2, 'status')]);
  assert.equal(await twoOriginals.thread('REFERENCES'), '((1)(2))');
  const noSubject = mailbox([reply(1, 1, ''), reply(2, 2, '')]);
  assert.equal(await noSubject.thread('REFERENCES'), '(1)(2)', 'empty subjects never merge');
});

test('THREAD=REFERENCES survives loops, self references, duplicate Message-IDs and a 30 000-message chain', async () => {
  const loop = mailbox([reply(1, 1, 'a', [2]), reply(2, 2, 'b', [1]), reply(3, 3, 'c', [3])]);
  const text = await loop.thread('REFERENCES');
  assert.deepEqual(text.match(/\d+/g)!.map(Number).sort(), [1, 2, 3], `every message exactly once: ${text}`);
  const dup = mailbox([{ uid: 1, headers: { 'Message-ID': '<same@x>', Subject: 'one' } }, { uid: 2, headers: { 'Message-ID': '<same@x>', Subject: 'two', References: '<same@x>' } }]);
  assert.equal(await dup.thread('REFERENCES'), '(1 2)', 'the second copy gets its own id and replies to the first');
  // Metas made directly (parsing 30 000 header blocks would dominate the test's time).
  const template = metaOf(scanBuffer(Buffer.from('Subject: deep\r\n\r\n')));
  const deep = new Map<string, MessageMeta>();
  const cands: SearchCandidate[] = [];
  for (let i = 1; i <= 30_000; i++) {
    deep.set(`d${i}`, { ...template, envelope: { ...template.envelope, messageId: `<${i}@x>` }, references: i > 1 ? [`<${i - 1}@x>`] : [] });
    cands.push({ uid: i, seq: i, flags: [], internalDateMs: i, size: 1, modseq: 1, path: '', id: `d${i}` });
  }
  const chain = formatThreads(await threadMessages('REFERENCES', cands, async (_p, id) => deep.get(id)!));
  assert.ok(chain.startsWith('(1 2 3 ') && chain.endsWith(' 29999 30000)'));
});

test('THREAD=ORDEREDSUBJECT: grouped by base subject, children of the first, threads by first date', async () => {
  const mb = mailbox([
    reply(1, 5, 'Re: beta'),
    reply(2, 1, 'alpha'),
    reply(3, 3, 'beta'),
    reply(4, 2, 'Re: alpha'),
    reply(5, 4, 'Fwd: alpha'),
    reply(6, 6, 'gamma'),
    reply(7, 7, 'Re: gamma'),
  ]);
  assert.equal(await mb.thread('ORDEREDSUBJECT'), '(2 (4)(5))(3 1)(6 7)');
});
