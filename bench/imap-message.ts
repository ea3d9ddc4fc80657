// IMAP message layer micro-benchmark: MIME scan of a 25 MiB message (time and memory growth),
// meta cache hits (memory and disk), BINARY.SIZE and BODY search over big parts, and
// SEARCH / SORT / THREAD over a mailbox of small messages.
// Usage: npm run bench:imap-message -- [--messages 2000] [--big-mib 25]
import { mkdtemp, rm, open, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { VolumeLayout } from '../src/mail/core/volume.ts';
import { createMessageLayer } from '../src/mail/imap/message/index.ts';
import type { SearchCandidate, SearchContext } from '../src/mail/imap/message/api.ts';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '2000' }, 'big-mib': { type: 'string', default: '25' } } });
const MESSAGES = Number(values.messages);
const BIG_MIB = Number(values['big-mib']);

/** Peak growth of heap + external + array buffers while `fn` runs, sampled every 2 ms. */
async function measure<T>(label: string, fn: () => Promise<T>, bytes?: number): Promise<T> {
  const used = (): number => { const m = process.memoryUsage(); return m.heapUsed + m.external + m.arrayBuffers; };
  (globalThis as { gc?: () => void }).gc?.();
  const base = used();
  let peak = base;
  const timer = setInterval(() => { peak = Math.max(peak, used()); }, 2);
  const t0 = process.hrtime.bigint();
  const out = await fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  clearInterval(timer);
  peak = Math.max(peak, used());
  const rate = bytes ? `, ${(bytes / 1048576 / (ms / 1000)).toFixed(1)} MiB/s` : '';
  console.log(`${label.padEnd(58)} ${ms.toFixed(1).padStart(9)} ms${rate}, memory growth ${((peak - base) / 1048576).toFixed(1)} MiB`);
  return out;
}

/** A big multipart message written in pieces: text (QP), a base64 text part and a base64 attachment. */
async function writeBig(path: string, mib: number): Promise<number> {
  const fh = await open(path, 'w');
  const w = (s: string) => fh.write(s);
  await w('From: Big <big@example.org>\r\nTo: you@example.org\r\nSubject: big\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nContent-Type: multipart/mixed; boundary="BIG"\r\n\r\n');
  await w('--BIG\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n');
  const qpLine = 'Caf=E9 au lait, cr=E8me br=FBl=E9e, na=EFve fa=E7ade; the quick brown fox jumps over=\r\n';
  for (let i = 0; i < 20_000; i++) await w(qpLine);
  await w('end of text\r\n--BIG\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n');
  const b64Line = Buffer.from('Grüße aus München – a UTF-8 line of text, searchable. '.repeat(1)).toString('base64').slice(0, 76) + '\r\n';
  const textB64 = Math.floor((mib * 1048576) / 4 / b64Line.length);
  const block = b64Line.repeat(1000);
  for (let i = 0; i < textB64; i += 1000) await w(block);
  await w('--BIG\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n');
  const attLine = Buffer.alloc(57, 0xa5).toString('base64') + '\r\n';
  const attBlock = attLine.repeat(1000);
  const { size } = await fh.stat();
  const attLines = Math.floor((mib * 1048576 - size) / attLine.length) - 1000;
  for (let i = 0; i < attLines; i += 1000) await w(attBlock);
  await w('--BIG--\r\n');
  const total = (await fh.stat()).size;
  await fh.close();
  return total;
}

const root = await mkdtemp(join(tmpdir(), 'tandem-bench-imap-message-'));
try {
  const layout = new VolumeLayout(root);
  const bigPath = join(root, 'big.eml');
  const bigSize = await writeBig(bigPath, BIG_MIB);
  console.log(`message layer benchmark: ${(bigSize / 1048576).toFixed(1)} MiB message, ${MESSAGES} small messages, node ${process.version}${(globalThis as { gc?: unknown }).gc ? '' : ' (run with --expose-gc for steadier memory figures)'}`);

  const memOnly = createMessageLayer(layout, { cacheDir: null });
  const meta = await measure('meta(): MIME scan of the big message (cache miss)', () => memOnly.meta(bigPath, 'big'), bigSize);
  const layer = createMessageLayer(layout);
  await layer.meta(bigPath, 'big');
  await layer.close();
  const fresh = createMessageLayer(layout);
  await measure('meta(): disk cache hit (fresh layer)', () => fresh.meta(bigPath, 'big'));
  await measure('meta(): memory cache hit x1000', async () => { for (let i = 0; i < 1000; i++) await fresh.meta(bigPath, 'big'); });
  const textPart = meta.offsets.children[1]!;
  await measure('BINARY.SIZE of the base64 text part', () => memOnly.binarySize(bigPath, meta, [2]), textPart.end - textPart.bodyStart);
  const att = meta.offsets.children[2]!;
  await measure('BINARY.SIZE of the base64 attachment', () => memOnly.binarySize(bigPath, meta, [3]), att.end - att.bodyStart);
  const big: SearchCandidate = { uid: 1, seq: 1, flags: [], internalDateMs: Date.now(), size: bigSize, modseq: 1, path: bigPath, id: 'big' };
  const ctx: SearchContext = { nowMs: Date.now(), maxUid: MESSAGES, maxSeq: MESSAGES, saved: null };
  await measure('SEARCH BODY (absent needle): decode + search all text parts', () => memOnly.search({ key: 'BODY', value: 'not-in-there' }, [big], ctx), textPart.end - meta.offsets.children[0]!.bodyStart);

  // A mailbox of small messages.
  const cands: SearchCandidate[] = [];
  for (let i = 1; i <= MESSAGES; i++) {
    const path = join(root, `m${i}.eml`);
    const parent = i > 1 && i % 5 !== 1 ? `In-Reply-To: <m${i - 1}@example.org>\r\n` : '';
    const subject = i % 5 === 1 ? `Topic ${i}` : `Re: Topic ${i - (i - 1) % 5}`;
    const text = `From: =?UTF-8?Q?User_${i % 97}?= <user${i % 97}@example.org>\r\nTo: list@example.org\r\nSubject: ${subject}\r\nMessage-ID: <m${i}@example.org>\r\n${parent}Date: Mon, 1 Jan 2024 ${String(i % 24).padStart(2, '0')}:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${'Some body text that says hello. '.repeat(40)}\r\nmessage number ${i}\r\n`;
    await writeFile(path, text);
    cands.push({ uid: i, seq: i, flags: i % 3 ? ['\\Seen'] : [], internalDateMs: Date.UTC(2024, 0, 1) + i * 60_000, size: text.length, modseq: i, path, id: `m${i}` });
  }
  const noDisk = createMessageLayer(layout, { cacheDir: null });
  await measure(`SEARCH FROM over ${MESSAGES} messages (cold, memory-only cache)`, () => noDisk.search({ key: 'FROM', value: 'user 42' }, cands, ctx));
  await noDisk.close();
  const small = createMessageLayer(layout, { cacheDir: join(root, 'small-cache') });
  await measure(`SEARCH UNSEEN over ${MESSAGES} messages (no file reads)`, () => small.search({ key: 'UNSEEN' }, cands, ctx));
  await measure(`SEARCH FROM over ${MESSAGES} messages (cold, disk cache written)`, () => small.search({ key: 'FROM', value: 'user 42' }, cands, ctx));
  await measure(`SEARCH FROM over ${MESSAGES} messages (metas cached)`, () => small.search({ key: 'FROM', value: 'user 42' }, cands, ctx));
  await measure(`SEARCH BODY over ${MESSAGES} messages (metas cached)`, () => small.search({ key: 'BODY', value: `message number ${MESSAGES}` }, cands, ctx));
  await measure(`SORT (SUBJECT DATE) over ${MESSAGES} messages (metas cached)`, () => small.sort([{ key: 'SUBJECT', reverse: false }, { key: 'DATE', reverse: false }], cands));
  await measure(`THREAD REFERENCES over ${MESSAGES} messages (metas cached)`, () => small.thread('REFERENCES', cands));
  await measure('close(): waiting for the queued disk cache writes', () => small.close());
  await fresh.close();
  await memOnly.close();
} finally {
  await rm(root, { recursive: true, force: true });
}
