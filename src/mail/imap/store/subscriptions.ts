// LSUB/SUBSCRIBE data in the Maildir++ `subscriptions` file (Courier, Dovecot): one mailbox
// name per line, as shown to clients ("/" separator, Unicode). Replaced atomically.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { replaceFileDurable } from '../../../lib/durable.ts';

export const SUBSCRIPTIONS_FILE = 'subscriptions';

export async function readSubscriptions(root: string): Promise<string[]> {
  const text = await readFile(join(root, SUBSCRIPTIONS_FILE), 'utf8').catch(() => '');
  return [...new Set(text.split('\n').map((l) => l.trim()).filter((l) => l !== ''))];
}

/**
 * Adds or removes names. Read-modify-replace without a lock: two processes subscribing at
 * the same instant could drop one of the two lines; only IMAP sessions of one process
 * write this file, and they are serialised by the caller.
 */
export async function updateSubscriptions(root: string, add: readonly string[], remove: readonly string[] = []): Promise<string[]> {
  const current = await readSubscriptions(root);
  const gone = new Set(remove);
  const next = [...new Set([...current.filter((n) => !gone.has(n)), ...add])];
  if (next.length !== current.length || next.some((n, i) => n !== current[i])) {
    await replaceFileDurable(join(root, SUBSCRIPTIONS_FILE), next.map((n) => `${n}\n`).join(''));
  }
  return next;
}
