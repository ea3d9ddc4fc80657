// Robustness of the whole layer on files (fast-check): for random bytes and for random MIME
// lines, every entry point answers (meta, every section of every part, BINARY, BINARY.SIZE,
// SEARCH on content keys, SORT, THREAD) without throwing, and section ranges stay in the file.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { testVolume } from './_test-helpers.ts';
import type { PartOffsets, SearchCandidate } from './api.ts';
import type { SectionText } from '../proto/fetch-types.ts';

const vol = await testVolume({ cacheDir: null });
after(() => vol.cleanup());

/** Every part path of the offsets tree (as RFC 9051 numbers them), plus a few that do not exist. */
function paths(p: PartOffsets, prefix: number[] = [], out: number[][] = []): number[][] {
  const container = p.isMessage ? p.children[0] : p;
  const kids = container && !container.isMessage ? container.children : [];
  const n = Math.max(kids.length, 1);
  for (let i = 1; i <= n + 1; i++) {
    const path = [...prefix, i];
    out.push(path);
    const child = kids[i - 1];
    if (child && out.length < 200) paths(child, path, out);
  }
  return out;
}

const TEXTS: Array<SectionText | null> = [null, 'HEADER', 'TEXT', 'MIME', 'HEADER.FIELDS', 'HEADER.FIELDS.NOT'];
let counter = 0;

async function exercise(data: Buffer): Promise<void> {
  const name = `r${counter++}.eml`;
  const path = await vol.write(name, data);
  const meta = await vol.layer.meta(path, name);
  for (const part of [[], ...paths(meta.offsets)]) {
    for (const text of TEXTS) {
      const d = await vol.layer.section(path, meta, { part, text, fields: ['SUBJECT', 'FROM'] });
      if (d.kind === 'range') assert.ok(0 <= d.start && d.start <= d.end && d.end <= data.length, `${part}.${text}: ${d.start}-${d.end}`);
    }
    const b = await vol.layer.binary(path, meta, part);
    const size = await vol.layer.binarySize(path, meta, part);
    if (b === null) assert.equal(size, null);
    else assert.equal(size, b.kind === 'empty' ? 0 : b.kind === 'bytes' ? b.data.length : b.end - b.start);
  }
  const c: SearchCandidate = { uid: 1, seq: 1, flags: [], internalDateMs: 0, size: data.length, modseq: 1, path, id: name };
  await vol.layer.search({ key: 'OR', left: { key: 'TEXT', value: 'zz' }, right: { key: 'HEADER', field: 'X', value: '' } }, [c], { nowMs: 0, maxUid: 1, maxSeq: 1, saved: null });
  await vol.layer.search({ key: 'SENTON', day: '2024-01-01' }, [c], { nowMs: 0, maxUid: 1, maxSeq: 1, saved: null });
  await vol.layer.sort([{ key: 'DISPLAYFROM', reverse: false }, { key: 'SUBJECT', reverse: true }], [c, { ...c, uid: 2, seq: 2 }]);
  await vol.layer.thread('REFERENCES', [c, { ...c, uid: 2, seq: 2 }]);
}

test('property: random bytes through every entry point never throw', { timeout: 120_000 }, async () => {
  await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 1500 }), async (bytes) => exercise(Buffer.from(bytes))), { numRuns: 40 });
});

test('property: random MIME lines through every entry point never throw', { timeout: 120_000 }, async () => {
  const piece = fc.constantFrom('--a', '--a--', '--b', 'Content-Type: multipart/mixed; boundary=a', 'Content-Type: multipart/alternative; boundary=b',
    'Content-Type: message/rfc822', 'Content-Transfer-Encoding: base64', 'Content-Transfer-Encoding: quoted-printable', 'Content-Transfer-Encoding: x-foo',
    'Content-Type: text/plain; charset=iso-2022-jp', 'Subject: =?utf-8?B?w6k=?=', 'From: a <b@c>, g: ;', 'References: <a@b> <c@d>', 'Message-ID: <a@b>',
    ' folded', '', 'QUJD=', '=E9=', '\x1b$B$3', 'Date: 1 Jan 2024 00:00 +0000');
  await fc.assert(fc.asyncProperty(fc.array(piece, { maxLength: 50 }), fc.constantFrom('\r\n', '\n'), async (lines, eol) => exercise(Buffer.from(lines.join(eol), 'latin1'))), { numRuns: 80 });
});
