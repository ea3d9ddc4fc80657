// Reading message files: whole-file streaming for the MIME scan, bounded ranges for
// headers, chunked ranges for decoding and searching. Errors become TandemErrors: a
// message file that vanished (expunged or renamed by another program) is 'not-found'.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { TandemError } from '../../../lib/errors.ts';
import { MimeScanner } from './mime-scan.ts';
import type { ScannedEntity } from './mime-scan.ts';

export const CHUNK = 64 * 1024;

function fileError(path: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return new TandemError('IMAP_MESSAGE_GONE', 'not-found', `message file ${path} no longer exists`);
  return new TandemError('IMAP_MESSAGE_READ', 'temp', `cannot read message file ${path}: ${(err as Error).message}`);
}

/** Scans the MIME structure of a file, streaming it (memory: one chunk plus headers). */
export async function scanFile(path: string): Promise<ScannedEntity> {
  const scanner = new MimeScanner();
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) scanner.push(chunk as Buffer);
  } catch (err) {
    throw fileError(path, err);
  }
  return scanner.finish();
}

/** Bytes [start, end) of a file, at most `cap` of them. */
export async function readRange(path: string, start: number, end: number, cap: number): Promise<Buffer> {
  const length = Math.max(0, Math.min(end - start, cap));
  if (length === 0) return Buffer.alloc(0);
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw fileError(path, err);
  }
  try {
    const buf = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await fh.read(buf, got, length - got, start + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  } catch (err) {
    throw fileError(path, err);
  } finally {
    await fh.close();
  }
}

/** Chunks of bytes [start, end) of a file. */
export async function* streamRange(path: string, start: number, end: number): AsyncGenerator<Buffer> {
  if (end <= start) return;
  const stream = createReadStream(path, { start, end: end - 1, highWaterMark: CHUNK });
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (err) {
    throw fileError(path, err);
  } finally {
    stream.destroy();
  }
}
