// MIME structure, ENVELOPE and BODYSTRUCTURE: the RFC 3501 7.4.2 example, nested parts,
// defaults and extension fields, addresses, malformed input, and a cross-check of the part
// boundaries against Python's `email` package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import fc from 'fast-check';
import { tree, render } from './_test-mime.ts';
import type { Tree } from './_test-mime.ts';
import { join } from 'node:path';
import { formatValue } from '../proto/format.ts';
import { bodyStructureValue, envelopeValue } from '../proto/envelope.ts';
import type { BodyStructure } from '../proto/envelope.ts';
import { scanBuffer, MAX_DEPTH, HEADER_CAP } from './mime-scan.ts';
import { metaOf } from './structure.ts';
import { parseAddressList, MISSING_HOST } from './address.ts';
import { parseStructured } from './headers.ts';
import { FIXTURES, fixture, crlf } from './_test-helpers.ts';
import type { PartOffsets } from './api.ts';

const metaFor = (text: string | Buffer) => metaOf(scanBuffer(typeof text === 'string' ? Buffer.from(text, 'utf8') : text));
const bodyOf = (text: string | Buffer, extended = false) => formatValue(bodyStructureValue(metaFor(text).bodyStructure, extended)).toString();

test('RFC 3501 7.4.2: BODY of the example multipart/mixed is exactly the RFC text', async () => {
  const m = metaFor(await fixture('rfc3501-bodystructure.eml'));
  assert.equal(formatValue(bodyStructureValue(m.bodyStructure, false)).toString(),
    '(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23) ("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") "<960723163407.20117h@cac.washington.edu>" "Compiler diff" "BASE64" 4554 73) "MIXED")');
  assert.equal(formatValue(envelopeValue(m.envelope)).toString(),
    '("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ((NIL NIL "minutes" "CNRI.Reston.VA.US") ("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL "<B27397-0100000@cac.washington.edu>")');
  assert.equal(m.sentAtMs, Date.UTC(1996, 6, 17, 9, 23, 25));
});

test('RFC 3501 7.4.2: a single text part gets the defaults (text/plain, US-ASCII, 7BIT) and a line count', () => {
  const body = Array.from({ length: 92 }, (_, i) => `line ${i}`).join('\r\n') + '\r\n';
  assert.equal(bodyOf(`Subject: x\r\n\r\n${body}`), `("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" ${body.length} 92)`);
  assert.equal(bodyOf('Subject: x\r\n\r\nno line end'), '("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 11 1)', 'a last line without CRLF counts');
  assert.equal(bodyOf('Content-Type: text/html\r\n\r\n<p>'), '("TEXT" "HTML" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3 1)');
});

test('nested: multipart/mixed with multipart/alternative and a message/rfc822 holding its own multipart', async () => {
  const m = metaFor(await fixture('rfc9051-sections.eml'));
  const b = m.bodyStructure;
  assert.equal(b.kind, 'multipart');
  const parts = (b as Extract<BodyStructure, { kind: 'multipart' }>).parts;
  assert.deepEqual(parts.map((p) => p.kind), ['text', 'basic', 'message', 'multipart']);
  const msg3 = parts[2] as Extract<BodyStructure, { kind: 'message' }>;
  assert.equal(msg3.envelope.subject, 'part 3');
  assert.equal(msg3.body.kind, 'multipart');
  const four = parts[3] as Extract<BodyStructure, { kind: 'multipart' }>;
  const fourTwo = four.parts[1] as Extract<BodyStructure, { kind: 'message' }>;
  assert.equal(fourTwo.fields.description, 'forwarded');
  const alt = (fourTwo.body as Extract<BodyStructure, { kind: 'multipart' }>).parts[1]!;
  assert.equal(alt.kind === 'multipart' && alt.subtype, 'alternative');
  assert.match(bodyOf(await fixture('rfc9051-sections.eml'), true), /\("IMAGE" "GIF" NIL NIL NIL "BASE64" 20 NIL \("attachment" \("FILENAME" "a.gif"\)\) NIL NIL\)/);
  // message/rfc822 size is its body (the encapsulated message); its line count is that message's lines.
  const text = (await fixture('rfc9051-sections.eml')).toString('latin1');
  const inner = text.slice(text.indexOf('From: Inner Three'), text.indexOf('\r\n--outer\r\nContent-Type: multipart/mixed'));
  assert.equal(msg3.fields.size, inner.length);
  assert.equal(msg3.lines, inner.split('\r\n').length);
});

test('BODYSTRUCTURE extension data: Content-ID, -Description, -MD5, -Disposition with params, -Language, -Location; RFC 2231', () => {
  const msg = crlf([
    'Content-Type: multipart/related; boundary="b"; type="text/html"',
    '',
    '--b',
    'Content-Type: application/pdf; name="r.pdf"',
    'Content-ID: <part1@example>',
    'Content-Description: The report',
    'Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==',
    'Content-Disposition: attachment; filename*0="long"; filename*1="name.pdf"; size=3',
    'Content-Language: en, de (German)',
    'Content-Location: http://example.org/',
    '  r.pdf',
    'Content-Transfer-Encoding: base64',
    '',
    'AAAA',
    '--b',
    'Content-Type: text/plain; charset*=utf-8\'\'%E2%82%AC',
    '',
    'x',
    '--b--',
    '',
  ].join('\n'));
  assert.equal(bodyOf(msg, true),
    '(("APPLICATION" "PDF" ("NAME" "r.pdf") "<part1@example>" "The report" "BASE64" 4 "Q2hlY2sgSW50ZWdyaXR5IQ==" ("attachment" ("FILENAME" "longname.pdf" "SIZE" "3")) ("en" "de") "http://example.org/r.pdf")'
    + ' ("TEXT" "PLAIN" ("CHARSET*" "utf-8\'\'%E2%82%AC" "CHARSET" "US-ASCII") NIL NIL "7BIT" 1 1 NIL NIL NIL NIL)'
    + ' "RELATED" ("BOUNDARY" "b" "TYPE" "text/html") NIL NIL NIL)');
});

test('message/global and multipart/digest defaults; an encoded message/rfc822 stays opaque', () => {
  const digest = crlf('Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: in digest\n\nhi\n--d--\n');
  assert.match(bodyOf(digest), /^\(\("MESSAGE" "RFC822" NIL NIL NIL "7BIT" \d+ \(NIL "in digest"/);
  const global = crlf('Content-Type: message/global\n\nSubject: =?utf-8?q?x?= ü\n\nbody\n');
  assert.match(bodyOf(global), /^\("MESSAGE" "GLOBAL" NIL NIL NIL "7BIT" \d+ \(NIL \{16\}\r\n=\?utf-8\?q\?x\?= ü NIL/);
  const b64 = crlf('Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeA0KDQp4\n');
  assert.equal(bodyOf(b64), '("MESSAGE" "RFC822" NIL NIL NIL "BASE64" 22)');
});

test('ENVELOPE: unfolded, encoded words kept, In-Reply-To and Message-ID raw', () => {
  const m = metaFor(crlf('Subject: =?UTF-8?Q?caf=C3=A9?=\n  folded\nIn-Reply-To: <a@b>\nMessage-ID:\n <c@d>\nDate: 1 Jan 2024 00:00 GMT\n\n'));
  assert.equal(m.envelope.subject, '=?UTF-8?Q?caf=C3=A9?=  folded');
  assert.equal(m.envelope.inReplyTo, '<a@b>');
  assert.equal(m.envelope.messageId, '<c@d>');
  assert.equal(m.sentAtMs, Date.UTC(2024, 0, 1));
  assert.deepEqual(m.references, ['<a@b>']);
});

test('addresses: groups, quoted local parts, comments, missing host, source routes, null sender', () => {
  const cases: Array<[string, unknown]> = [
    ['"Doe, John" <john@example.com>', [{ name: 'Doe, John', adl: null, mailbox: 'john', host: 'example.com' }]],
    ['=?utf-8?q?J=C3=B6rg?= <j@x.de>', [{ name: '=?utf-8?q?J=C3=B6rg?=', adl: null, mailbox: 'j', host: 'x.de' }]],
    ['"john doe"@example.com', [{ name: null, adl: null, mailbox: '"john doe"', host: 'example.com' }]],
    ['"john"@example.com', [{ name: null, adl: null, mailbox: 'john', host: 'example.com' }]],
    ['john@example.com (John Doe)', [{ name: 'John Doe', adl: null, mailbox: 'john', host: 'example.com' }]],
    ['undisclosed', [{ name: null, adl: null, mailbox: 'undisclosed', host: MISSING_HOST }]],
    ['<@a.example,@b.example:user@c.example>', [{ name: null, adl: '@a.example,@b.example', mailbox: 'user', host: 'c.example' }]],
    ['<>', [{ name: null, adl: null, mailbox: '', host: '' }]],
    ['undisclosed-recipients:;', [{ group: 'undisclosed-recipients', members: [] }]],
    ['Team: a@x.org, B <b@y.org>; c@z.org', [
      { group: 'Team', members: [{ name: null, adl: null, mailbox: 'a', host: 'x.org' }, { name: 'B', adl: null, mailbox: 'b', host: 'y.org' }] },
      { name: null, adl: null, mailbox: 'c', host: 'z.org' },
    ]],
    ['a@x, , b@y,', [{ name: null, adl: null, mailbox: 'a', host: 'x' }, { name: null, adl: null, mailbox: 'b', host: 'y' }]],
    ['John Q. Public <jqp@x>', [{ name: 'John Q. Public', adl: null, mailbox: 'jqp', host: 'x' }]],
    ['<<<@@@>>>,;:', null],
  ];
  for (const [input, expected] of cases) {
    const got = parseAddressList(input);
    if (expected !== null) assert.deepEqual(got, expected, input);
  }
});

test('Content-Type parameters: quoting, comments, continuations, unparseable types use the default', () => {
  assert.deepEqual(parseStructured('Text/Plain (comment); Charset="utf-8" ; format=flowed'), { value: 'text/plain', params: [['CHARSET', 'utf-8'], ['FORMAT', 'flowed']] });
  assert.deepEqual(parseStructured('attachment; filename*1="b"; filename*0="a"'), { value: 'attachment', params: [['FILENAME', 'ab']] });
  assert.equal(bodyOf('Content-Type: garbage\r\n\r\nx'), '("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1 1)');
});

/** Every range inside the file, bodyStart within [headerStart, end], children inside their parent. */
function assertOffsetsSane(p: PartOffsets, size: number, parent?: PartOffsets): void {
  assert.ok(0 <= p.headerStart && p.headerStart <= p.bodyStart && p.bodyStart <= p.end && p.end <= size, JSON.stringify(p));
  if (parent) assert.ok(p.headerStart >= parent.bodyStart && p.end <= parent.end, 'child within parent body');
  for (const c of p.children) assertOffsetsSane(c, size, p);
}

test('malformed input: each case parses without throwing and keeps offsets sane', () => {
  const deep = 'Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\n'.repeat(MAX_DEPTH + 20) + 'leaf\r\n';
  const cases: Record<string, string> = {
    'missing closing boundary': crlf('Content-Type: multipart/mixed; boundary=b\n\n--b\n\npart one\n--b\n\npart two\n'),
    'boundary-like text in the preamble': crlf('Content-Type: multipart/mixed; boundary=b\n\n--bb not it\n--b-- no\n--b\n\nreal\n--b--\n'),
    'no blank line after headers': crlf('Subject: x\nthis is body\nmore\n'),
    'header only, no line end': 'Subject: x',
    'bare LF line ends': 'Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nlf part\n--b--\n',
    '8-bit header bytes': 'Subject: caf\xe9 \xff\xfe\r\nFrom: J\xf6rg <j@x>\r\n\r\nbody',
    'multipart without boundary parameter': crlf('Content-Type: multipart/mixed\n\nwhatever\n'),
    'multipart with no delimiter at all': crlf('Content-Type: multipart/mixed; boundary=b\n\nno parts here\n'),
    'absurd nesting': deep,
    'boundary right after the header': crlf('Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\nContent-Type: text/plain\n--b--\n'),
    'empty file': '',
    'part header interrupted by the outer boundary': crlf('Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n--b--\n'),
  };
  for (const [name, text] of Object.entries(cases)) {
    const data = Buffer.from(text, 'latin1');
    const m = metaFor(data);
    assertOffsetsSane(m.offsets, data.length);
    assert.equal(m.offsets.end, data.length, name);
    formatValue(bodyStructureValue(m.bodyStructure, true)); // serialisable
  }
  const missing = metaFor(cases['missing closing boundary']!);
  assert.equal(missing.offsets.children.length, 2, 'the last part runs to the end of the file');
  const preamble = metaFor(cases['boundary-like text in the preamble']!);
  assert.equal(preamble.offsets.children.length, 1);
  const noBlank = metaFor(cases['no blank line after headers']!);
  assert.equal(noBlank.envelope.subject, 'x');
  assert.equal(noBlank.offsets.bodyStart, 'Subject: x\r\n'.length);
  const lf = metaFor(cases['bare LF line ends']!);
  assert.match(formatValue(bodyStructureValue(lf.bodyStructure, false)).toString(), /^\(\("TEXT" "PLAIN" \("CHARSET" "US-ASCII"\) NIL NIL "7BIT" 7 1\) "MIXED"\)$/);
  const eight = metaFor(Buffer.from(cases['8-bit header bytes']!, 'latin1'));
  assert.equal(eight.envelope.subject, 'caf\ufffd \ufffd\ufffd', 'invalid UTF-8 becomes U+FFFD');
  let depth = 0;
  for (let p: PartOffsets | undefined = metaFor(deep).offsets; p; p = p.children[0]) depth++;
  assert.ok(depth <= MAX_DEPTH + 2, `nesting capped (depth ${depth})`);
});

/** Python's `email` view of messages: per leaf its type, payload (line ends as LF) and charset; per multipart its subtype. */
function pythonView(files: string[]): Record<string, Array<[string, string | null, string | null]>> | null {
  const py = spawnSync('python3', ['-c', `
import sys, json, email, email.policy
out = {}
for name in sys.argv[1:]:
    m = email.message_from_binary_file(open(name, 'rb'), policy=email.policy.compat32)
    parts = []
    for p in m.walk():
        if p.get_content_maintype() == 'multipart' and p.is_multipart():
            parts.append([p.get_content_type(), None, None])
        elif not p.is_multipart():
            body = p.get_payload(decode=False).encode('utf-8', 'surrogateescape').decode('latin1')
            parts.append([p.get_content_type(), body, p.get_param('charset')])
    out[name] = parts
print(json.dumps(out))
`, ...files], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  if (py.error || py.status !== 0) return null;
  return JSON.parse(py.stdout) as Record<string, Array<[string, string | null, string | null]>>;
}

/** Ours, in the same shape, plus what BODYSTRUCTURE says about each text leaf. */
function ourView(data: Buffer): { parts: Array<[string, string | null, string | null]>; sizes: Array<{ size: number; lines: number | null }> } {
  const m = metaOf(scanBuffer(data));
  const parts: Array<[string, string | null, string | null]> = [];
  const sizes: Array<{ size: number; lines: number | null }> = [];
  const walk = (b: BodyStructure, o: PartOffsets): void => {
    if (b.kind === 'multipart') {
      parts.push([`multipart/${b.subtype}`, null, null]);
      b.parts.forEach((p, i) => walk(p, o.children[i]!));
      return;
    }
    if (b.kind === 'message') { walk(b.body, o.children[0]!); return; }
    const type = b.kind === 'text' ? `text/${b.subtype}` : `${b.type}/${b.subtype}`;
    const charset = b.fields.params.find(([k]) => k === 'CHARSET')?.[1] ?? null;
    parts.push([type, data.subarray(o.bodyStart, o.end).toString('latin1').replace(/\r\n/g, '\n'), charset]);
    sizes.push({ size: b.fields.size, lines: b.kind === 'text' ? b.lines : null });
  };
  walk(m.bodyStructure, m.offsets);
  return { parts, sizes };
}

test('cross-check with Python\'s email package: part tree, part bodies, sizes and line counts, on the fixtures and 60 generated messages', async (t) => {
  const tmp = await mkdtemp(join(tmpdir(), 'tandem-imap-pycheck-'));
  try {
    const files = ['rfc3501-bodystructure.eml', 'rfc9051-sections.eml', 'charsets.eml', 'nested.eml'].map((f) => join(FIXTURES, f));
    // Generated trees; Python gives a multipart without parts no leaf while we add one, so those are left out.
    const hasEmptyMultipart = (x: Tree): boolean => x.kind === 'multi' ? x.parts.length === 0 || x.parts.some(hasEmptyMultipart) : x.kind === 'message' ? hasEmptyMultipart(x.inner) : false;
    const trees = fc.sample(tree.filter((x) => !hasEmptyMultipart(x)), { numRuns: 60, seed: 5256 });
    for (const [i, x] of trees.entries()) {
      const f = join(tmp, `gen-${i}.eml`);
      await writeFile(f, `Subject: generated ${i}\r\n${render(x, '\r\n')}`);
      files.push(f);
    }
    const expected = pythonView(files);
    if (expected === null) {
      t.skip('python3 is not usable here');
      return;
    }
    for (const file of files) {
      const data = await readFile(file);
      const ours = ourView(data);
      const theirs: Array<[string, string | null, string | null]> = expected[file]!;
      // Python drops the charset of parts without one; we add the RFC default.
      assert.deepEqual(ours.parts.map(([type, body]) => [type, body]), theirs.map(([type, body]) => [type, body === null ? null : body.replace(/\r\n/g, '\n')]), file);
      theirs.filter(([, , cs], i) => cs !== null && ours.parts[i]![1] !== null).forEach(([, , cs]) => assert.ok(ours.parts.some(([, , c]) => c?.toLowerCase() === cs!.toLowerCase()), `${file}: charset ${cs}`));
      // The file is CRLF: size = payload chars + one CR per LF; lines = LFs + 1 for a last line without one.
      const leaves = theirs.filter(([, body]) => body !== null).map(([, body]) => body!);
      leaves.forEach((body, i) => {
        const lf = body.split('\n').length - 1;
        assert.equal(ours.sizes[i]!.size, Buffer.byteLength(body, 'latin1') + lf, `${file} leaf ${i} size`);
        if (ours.sizes[i]!.lines !== null) assert.equal(ours.sizes[i]!.lines, lf + (body !== '' && !body.endsWith('\n') ? 1 : 0), `${file} leaf ${i} lines`);
      });
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('a header beyond HEADER_CAP: offsets stay exact, fields past the cap are ignored, long lines are fine', () => {
  const filler = 'X-Filler: ' + 'f'.repeat(60) + '\r\n';
  const header = 'Subject: early\r\n' + filler.repeat(Math.ceil((HEADER_CAP + 1000) / filler.length)) + 'From: late@example.org\r\n\r\n';
  const body = 'x'.repeat(100_000) + '\r\n'; // one long line
  const m = metaFor(Buffer.from(header + body));
  assert.equal(m.offsets.bodyStart, header.length);
  assert.equal(m.offsets.end, header.length + body.length);
  assert.equal(m.envelope.subject, 'early');
  assert.deepEqual(m.envelope.from, [], 'From lies past the cap');
  assert.match(formatValue(bodyStructureValue(m.bodyStructure, false)).toString(), new RegExp(`"7BIT" ${body.length} 1\\)$`));
});
