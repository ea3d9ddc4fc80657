// BINARY[part] and BINARY.SIZE (RFC 3516) on real files, and the streaming decoders checked
// against Node's own base64 and a reference quoted-printable decoder for any chunking.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { testVolume, fixture, crlf, sectionBytes } from './_test-helpers.ts';
import { base64Decoder, quotedPrintableDecoder } from './decode.ts';
import type { StreamDecoder } from './decode.ts';

const vol = await testVolume({ cacheDir: null });
after(() => vol.cleanup());

const file = await fixture('charsets.eml');
const path = await vol.write('charsets.eml', file);
const meta = await vol.layer.meta(path, 'charsets');

test('BINARY decodes quoted-printable, base64 and 7bit parts; BINARY.SIZE is the decoded size', async () => {
  const qp = sectionBytes(file, await vol.layer.binary(path, meta, [1]))!;
  assert.equal(qp.toString('latin1'), 'Le caf\xe9 de la gare est ferm\xe9 le dimanche. Une tr\xe8s longue ligne qui continue ici: soft-break-joined.');
  const b64 = sectionBytes(file, await vol.layer.binary(path, meta, [2]))!;
  assert.equal(b64.toString('utf8'), 'Grüße aus München, Straße nummer 42.');
  const seven = sectionBytes(file, await vol.layer.binary(path, meta, [3]))!;
  assert.equal(seven.toString('latin1'), '\x1b$B$3$s$K$A$O\x1b(B sekai');
  assert.equal((await vol.layer.binary(path, meta, [3]))!.kind, 'range', '7bit parts are served from the file');
  assert.equal(sectionBytes(file, await vol.layer.binary(path, meta, [4]))!.toString(), 'secret-in-attachment');
  for (const part of [[1], [2], [3], [4]]) {
    assert.equal(await vol.layer.binarySize(path, meta, part), sectionBytes(file, await vol.layer.binary(path, meta, part))!.length, `part ${part}`);
  }
});

test('BINARY of an unknown encoding is null (NO [UNKNOWN-CTE]); missing parts are empty; BINARY[] is the message', async () => {
  const p = await vol.write('uu.eml', crlf('Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 a\n--b--\n'));
  const m = await vol.layer.meta(p, 'uu');
  assert.equal(await vol.layer.binary(p, m, [1]), null);
  assert.equal(await vol.layer.binarySize(p, m, [1]), null);
  assert.deepEqual(await vol.layer.binary(p, m, [2]), { kind: 'empty' });
  assert.equal(await vol.layer.binarySize(p, m, [2]), 0);
  assert.deepEqual(await vol.layer.binary(p, m, []), { kind: 'range', start: 0, end: m.offsets.end });
});

test('a single-part base64 message: BINARY[1] is the decoded body', async () => {
  const p = await vol.write('single64.eml', crlf(`Content-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n${Buffer.from('%PDF-1.4 binary \x00\xff', 'latin1').toString('base64')}\n`));
  const m = await vol.layer.meta(p, 'single64');
  const b = await vol.layer.binary(p, m, [1]);
  assert.ok(b && b.kind === 'bytes');
  assert.deepEqual(b.data, Buffer.from('%PDF-1.4 binary \x00\xff', 'latin1'));
});

function runChunked(d: StreamDecoder, data: Buffer, sizes: number[]): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length]!;
    out.push(d.write(data.subarray(at, at + n)));
    at += n;
  }
  out.push(d.end());
  return Buffer.concat(out);
}

/** Reference QP decoder over the whole input (RFC 2045 6.7), written plainly. */
function referenceQp(data: Buffer): Buffer {
  const lines = data.toString('latin1').split(/(?<=\n)/);
  let out = '';
  for (const line of lines) {
    const m = /^(.*?)(\r?\n)?$/s.exec(line)!;
    let body = m[1]!;
    const eol = m[2] ?? '';
    if (eol) body = body.replace(/[ \t]+$/, '');
    let soft = false;
    if (eol && body.endsWith('=')) { soft = true; body = body.slice(0, -1); }
    out += body.replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))) + (soft ? '' : eol);
  }
  return Buffer.from(out, 'latin1');
}

test('property: the base64 decoder equals Buffer.from(base64) for any chunking and line length', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 4, max: 100 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 8 }), (bytes, width, sizes) => {
    const encoded = Buffer.from(bytes).toString('base64').replace(new RegExp(`(.{${width}})`, 'g'), '$1\r\n');
    assert.deepEqual(runChunked(base64Decoder(), Buffer.from(encoded), sizes), Buffer.from(bytes));
  }), { numRuns: 300 });
});

test('property: the quoted-printable decoder equals a whole-input reference for any chunking', () => {
  const piece = fc.constantFrom('a', '=3D', '=E9', '=\r\n', '=\n', ' \r\n', '\t\n', '\r\n', '=', '=Z', ' ', 'x=4', '==41');
  fc.assert(fc.property(fc.array(piece, { maxLength: 80 }), fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 8 }), (pieces, sizes) => {
    const data = Buffer.from(pieces.join(''), 'latin1');
    assert.deepEqual(runChunked(quotedPrintableDecoder(), data, sizes).toString('latin1'), referenceQp(data).toString('latin1'), JSON.stringify(pieces.join('')));
  }), { numRuns: 500 });
});
