// The last UIDVALIDITY handed out in one user's Maildir++, kept at the user's root
// (RFC 9051 2.3.1.1): a folder deleted or renamed away and created again within the same
// second must get a greater value, and by then the old folder's uidlist and cache are gone.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { replaceFileDurable } from '../../../lib/durable.ts';
import { withLockFile } from './lock.ts';
import { newUidValidity } from './uidlist.ts';

export const UIDVALIDITY_FILE = 'tandem-uidvalidity';

/**
 * A new UIDVALIDITY for a folder of the user at `userRoot`: the time in seconds, above
 * `floor` and above every value this user's folders were given before (fsync'd before use).
 */
export async function allocateUidValidity(userRoot: string, floor = 0, now = Date.now()): Promise<number> {
  const file = join(userRoot, UIDVALIDITY_FILE);
  return withLockFile(`${file}.lock`, async () => {
    const text = (await readFile(file, 'utf8').catch(() => '')).trim();
    const last = /^\d{1,10}$/.test(text) ? Number(text) : 0;
    const value = newUidValidity(Math.max(last, floor), now);
    await replaceFileDurable(file, `${value}\n`);
    return value;
  });
}
