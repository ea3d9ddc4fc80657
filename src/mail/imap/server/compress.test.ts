// COMPRESS=DEFLATE (RFC 4978): after the uncompressed OK both directions are raw DEFLATE;
// a big FETCH and an APPEND work through it, and a second COMPRESS is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { constants, createDeflateRaw, createInflateRaw } from 'node:zlib';
import { startTestImap, RawImap, crlf, type ImapTestServer } from './_test-harness.ts';

let s: ImapTestServer;
before(async () => { s = await startTestImap(); });
after(async () => { await s.stop(); });

/** A client-side view of the socket that inflates what arrives and deflates what is sent. */
function deflated(socket: Socket): Socket {
  const inflate = createInflateRaw();
  const deflate = createDeflateRaw();
  socket.removeAllListeners('data');
  socket.on('data', (c: Buffer) => inflate.write(c));
  deflate.on('data', (c: Buffer) => socket.write(c));
  const d = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      deflate.write(chunk);
      deflate.flush(constants.Z_SYNC_FLUSH, () => cb());
    },
    destroy(_err, cb) { socket.destroy(); cb(null); },
  });
  inflate.on('data', (c: Buffer) => d.push(c));
  // The inflater works asynchronously: the socket can close (after LOGOUT) while the last
  // bytes, the BYE and the tagged OK, are still being inflated. Close only after them.
  socket.on('close', () => inflate.end());
  inflate.on('end', () => d.emit('close'));
  inflate.on('error', () => d.emit('close'));
  return d as unknown as Socket;
}

test('COMPRESS DEFLATE: OK in the clear, then commands, an APPEND and a big FETCH over DEFLATE', async () => {
  const c = await s.login();
  assert.match((await c.cmd('CAPABILITY')).untagged[0]!, /COMPRESS=DEFLATE/);
  const tag = c.nextTag();
  c.send(`${tag} COMPRESS DEFLATE\r\n`);
  assert.equal((await c.until(tag)).tagged, `${tag} OK DEFLATE active`);
  const z = RawImap.wrap(deflated(c.socket));
  assert.ok((await z.cmd('NOOP')).ok);
  const body = crlf(`Subject: z\n\n${'compressible line of text\n'.repeat(20_000)}`);
  const t2 = z.nextTag();
  z.send(`${t2} APPEND Archive {${body.length}+}\r\n`);
  z.send(`${body}\r\n`);
  assert.match((await z.until(t2)).tagged, /OK \[APPENDUID/);
  await z.cmd('SELECT Archive');
  const f = await z.cmd('FETCH 1 BODY.PEEK[]');
  assert.equal(f.untagged[0], `* 1 FETCH (BODY[] {${body.length}}\r\n${body})`);
  assert.match((await z.cmd('COMPRESS DEFLATE')).tagged, /NO \[COMPRESSIONACTIVE\]/);
  const bye = await z.cmd('LOGOUT');
  assert.ok(bye.untagged.includes('* BYE logging out'));
  z.close();
});

test('COMPRESS before login or with another mechanism is refused', async () => {
  const c = await RawImap.connect(s.port);
  assert.match((await c.cmd('COMPRESS DEFLATE')).tagged, /BAD COMPRESS needs a login first/);
  await c.cmd('LOGIN alice@demo.test wonderland');
  assert.match((await c.cmd('COMPRESS LZW')).tagged, /BAD unknown compression mechanism LZW/);
  c.close();
});
