// Test helper (module-private): a temp Maildir++ root and cache dir, removed afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function withTempRoot(fn: (root: string, cacheDir: string) => Promise<void>): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'tandem-imapstore-'));
  try {
    await fn(join(base, 'mail'), join(base, 'index'));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

export const MESSAGE = Buffer.from('From: a@x\r\nSubject: hi\r\n\r\nbody\r\n');
