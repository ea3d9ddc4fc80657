// Reading message files: whole-file streaming for the MIME scan, bounded ranges for
// headers, chunked ranges for decoding and searching. Errors become TandemErrors: a
// message file that vanished (expunged or renamed by another program) is 'not-found'.
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

/**
 * Scans the MIME structure of a file, reading it in CHUNK pieces through one file handle
 * (memory: one chunk plus headers; no stream machinery, which costs more than the scan
 * itself on small messages).
 */
export async function scanFile(path: string): Promise<ScannedEntity> {
  const scanner = new MimeScanner();
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw fileError(path, err);
  }
  try {
    // The scanner copies what it keeps, so one buffer serves every read.
    const buf = Buffer.allocUnsafe(CHUNK);
    for (let pos = 0; ;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      if (bytesRead === 0) break;
      scanner.push(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
  } catch (err) {
    throw fileError(path, err);
  } finally {
    await fh.close();
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

/** Chunks of bytes [start, end) of a file (each a fresh buffer the caller may keep). */
export async function* streamRange(path: string, start: number, end: number): AsyncGenerator<Buffer> {
  if (end <= start) return;
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw fileError(path, err);
  }
  try {
    for (let pos = start; pos < end;) {
      const want = Math.min(CHUNK, end - pos);
      const buf = Buffer.allocUnsafe(want);
      let got: number;
      try {
        ({ bytesRead: got } = await fh.read(buf, 0, want, pos));
      } catch (err) {
        throw fileError(path, err);
      }
      if (got === 0) return;
      pos += got;
      yield got === want ? buf : buf.subarray(0, got);
    }
  } finally {
    await fh.close();
  }
}
