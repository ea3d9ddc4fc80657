// Properties of the MIME scanner (fast-check): random bytes never throw; offsets stay in the
// file with children inside their parent; HEADER + TEXT = BODY[] for the message and every
// encapsulated message; chunking the input never changes the result (the scan streams).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MimeScanner, scanBuffer } from './mime-scan.ts';
import { metaOf } from './structure.ts';
import { planSection } from './sections.ts';
import { bodyStructureValue } from '../proto/envelope.ts';
import { formatValue } from '../proto/format.ts';
import type { PartOffsets } from './api.ts';
import { tree, render } from './_test-mime.ts';
import type { Tree } from './_test-mime.ts';

function saneOffsets(p: PartOffsets, size: number, parent?: PartOffsets): boolean {
  if (!(0 <= p.headerStart && p.headerStart <= p.bodyStart && p.bodyStart <= p.end && p.end <= size)) return false;
  if (parent && (p.headerStart < parent.bodyStart || p.end > parent.end)) return false;
  return p.children.every((c) => saneOffsets(c, size, p));
}

/** The byte ranges BODY[HEADER] and BODY[TEXT] of every message (top level and encapsulated). */
function* messages(p: PartOffsets, top = true): Generator<PartOffsets> {
  if (top) yield p;
  for (const c of p.children) {
    if (p.isMessage) yield c;
    yield* messages(c, false);
  }
}

test('property: random bytes never throw, offsets stay inside the file, the structure serialises', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
    const data = Buffer.from(bytes);
    const m = metaOf(scanBuffer(data));
    assert.ok(saneOffsets(m.offsets, data.length));
    assert.equal(m.offsets.end, data.length);
    formatValue(bodyStructureValue(m.bodyStructure, true));
  }), { numRuns: 300 });
});

test('property: random MIME-ish text (delimiters, headers, blank lines mixed at random) keeps offsets sane', () => {
  const piece = fc.constantFrom('--a', '--a--', '--b', '--b--', 'Content-Type: multipart/mixed; boundary=a', 'Content-Type: multipart/alternative; boundary=b',
    'Content-Type: message/rfc822', 'Subject: x', ' folded', '', 'text', '\r', 'Content-Transfer-Encoding: base64');
  fc.assert(fc.property(fc.array(piece, { maxLength: 60 }), fc.constantFrom('\r\n', '\n'), (lines, eol) => {
    const data = Buffer.from(lines.join(eol));
    const m = metaOf(scanBuffer(data));
    assert.ok(saneOffsets(m.offsets, data.length), JSON.stringify(m.offsets));
    formatValue(bodyStructureValue(m.bodyStructure, true));
  }), { numRuns: 400 });
});

test('property: HEADER + TEXT = BODY[] for the message and every encapsulated message', () => {
  fc.assert(fc.property(tree, fc.constantFrom('\r\n', '\n'), (t, eol) => {
    const data = Buffer.from(`Subject: top${eol}${render(t, eol)}`);
    const offsets = metaOf(scanBuffer(data)).offsets;
    assert.ok(saneOffsets(offsets, data.length));
    const whole = planSection(offsets, { part: [], text: null, fields: [] });
    assert.deepEqual(whole, { kind: 'range', start: 0, end: data.length });
    for (const msg of messages(offsets)) {
      assert.equal(msg.headerStart <= msg.bodyStart && msg.bodyStart <= msg.end, true);
      // HEADER is [headerStart, bodyStart) and TEXT [bodyStart, end): adjacent, so their concatenation is the message.
      const header = data.subarray(msg.headerStart, msg.bodyStart);
      const text = data.subarray(msg.bodyStart, msg.end);
      assert.deepEqual(Buffer.concat([header, text]), data.subarray(msg.headerStart, msg.end));
    }
    const top = planSection(offsets, { part: [], text: 'HEADER', fields: [] });
    const body = planSection(offsets, { part: [], text: 'TEXT', fields: [] });
    assert.ok(top.kind === 'range' && body.kind === 'range' && top.start === 0 && top.end === body.start && body.end === data.length);
  }), { numRuns: 300 });
});

test('property: generated trees scan back to the same shape; leaf bodies are exactly the leaf text', () => {
  fc.assert(fc.property(tree, (t) => {
    const data = Buffer.from(`Subject: top\r\n${render(t, '\r\n')}`);
    const root = scanBuffer(data);
    const check = (tr: Tree, e: ReturnType<typeof scanBuffer>): void => {
      if (tr.kind === 'leaf') {
        assert.equal(e.kind, 'leaf');
        assert.equal(data.subarray(e.bodyStart, e.end).toString(), tr.text.replace(/\n/g, '\r\n'));
      } else if (tr.kind === 'message') {
        assert.equal(e.kind, 'message');
        check(tr.inner, e.children[0]!);
      } else {
        assert.equal(e.kind, 'multipart');
        if (tr.parts.length === 0) assert.equal(e.children.length, 1, 'a multipart with no parts gets one synthetic part');
        else {
          assert.equal(e.children.length, tr.parts.length);
          tr.parts.forEach((p, i) => check(p, e.children[i]!));
        }
      }
    };
    check(t, root);
  }), { numRuns: 300 });
});

test('property: chunking the input never changes the scan (streaming is exact)', () => {
  fc.assert(fc.property(tree, fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }), fc.constantFrom('\r\n', '\n'), (t, sizes, eol) => {
    const data = Buffer.from(`Subject: top${eol}${render(t, eol)}`);
    const whole = scanBuffer(data);
    const s = new MimeScanner();
    let at = 0;
    for (let i = 0; at < data.length; i++) {
      const n = sizes[i % sizes.length]!;
      s.push(data.subarray(at, at + n));
      at += n;
    }
    assert.deepEqual(s.finish(), whole);
  }), { numRuns: 200 });
});
