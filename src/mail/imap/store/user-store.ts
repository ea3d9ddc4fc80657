// One user's mailboxes: folder list, CREATE/DELETE/RENAME over Maildir++ dot-folders,
// subscriptions, special-use folders, and the shared FolderIndex of each folder.
import { readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { ensureMaildir } from '../../storage/maildir.ts';
import { fsyncDir, fsyncDirNow } from '../../../lib/durable.ts';
import { TandemError, isTandemError } from '../../../lib/errors.ts';
import { mailboxToMaildir, maildirToMailbox, mailboxNameProblem, normalizeMailboxName, SEPARATOR } from '../proto/mailbox-name.ts';
import { FolderIndex, type FolderStatus } from './folder-index.ts';
import { removeCache } from './cache.ts';
import { readSubscriptions, updateSubscriptions } from './subscriptions.ts';
import { copyMessages, moveMessages, type CopyResult } from './transfer.ts';

/** Folders every user has (RFC 6154 attributes), created on first access. */
export const SPECIAL_USE: ReadonlyArray<readonly [string, string]> = [
  ['Drafts', '\\Drafts'], ['Sent', '\\Sent'], ['Trash', '\\Trash'], ['Junk', '\\Junk'], ['Archive', '\\Archive'],
];

export interface FolderInfo {
  readonly name: string;
  readonly specialUse: string | null;
  readonly hasChildren: boolean;
}

export class UserStore {
  private readonly indexes = new Map<string, Promise<FolderIndex>>();

  private constructor(readonly root: string, private readonly cacheDir: string) {}

  /** Opens a user's store; creates INBOX and the special-use folders that are missing. */
  static async open(root: string, cacheDir: string): Promise<UserStore> {
    const store = new UserStore(root, cacheDir);
    await ensureMaildir(root);
    const names = new Set((await store.list()).map((f) => f.name));
    const missing = SPECIAL_USE.map(([n]) => n).filter((n) => !names.has(n));
    for (const name of missing) {
      // Another process opening the same user may create it first: that is fine.
      await store.create(name).catch((err: unknown) => { if (!isTandemError(err, 'exists')) throw err; });
    }
    if (missing.length > 0) await updateSubscriptions(root, missing);
    return store;
  }

  private dirOf(name: string): string {
    const dir = mailboxToMaildir(name);
    if (dir === null) throw new TandemError('MAIL_ERR_BAD_MAILBOX', 'invalid', mailboxNameProblem(name) ?? `invalid mailbox name "${name}"`);
    return dir;
  }

  private cacheFileOf(dir: string): string {
    const base = dir === '' ? 'INBOX' : dir;
    // A 255-octet folder name plus ".json" would not fit in one path component.
    return join(this.cacheDir, base.length > 200 ? `h-${createHash('sha256').update(base).digest('hex')}.json` : `${base}.json`);
  }

  private async exists(dir: string): Promise<boolean> {
    return (await stat(join(this.root, dir, 'cur')).catch(() => null))?.isDirectory() ?? false;
  }

  /** Every selectable folder, INBOX first, with its special use and whether it has children. */
  async list(): Promise<FolderInfo[]> {
    const names = ['INBOX'];
    for (const entry of await readdir(this.root, { withFileTypes: true })) {
      const name = entry.isDirectory() ? maildirToMailbox(entry.name) : null;
      if (name !== null && name !== 'INBOX') names.push(name);
    }
    names.sort((a, b) => (a === 'INBOX' ? -1 : b === 'INBOX' ? 1 : a < b ? -1 : a > b ? 1 : 0));
    const use = new Map(SPECIAL_USE);
    return names.map((name) => ({ name, specialUse: use.get(name) ?? null, hasChildren: names.some((n) => n.startsWith(name + SEPARATOR)) }));
  }

  /** The shared index of a folder (one instance per folder and process). */
  async folder(name: string): Promise<FolderIndex> {
    const dir = this.dirOf(name);
    if (!(await this.exists(dir))) throw new TandemError('MAIL_ERR_NO_MAILBOX', 'not-found', `mailbox "${name}" does not exist`);
    let ix = this.indexes.get(dir);
    if (!ix) {
      ix = FolderIndex.open(join(this.root, dir), this.cacheFileOf(dir), this.root);
      this.indexes.set(dir, ix);
      ix.catch(() => this.indexes.delete(dir));
    }
    return ix;
  }

  async status(name: string): Promise<FolderStatus> {
    const ix = await this.folder(name);
    await ix.sync();
    return ix.status();
  }

  /** CREATE (RFC 9051 6.3.4): a ".Name" Maildir with the Maildir++ `maildirfolder` marker. */
  async create(name: string): Promise<void> {
    const dir = this.dirOf(name);
    if (dir === '' || (await this.exists(dir))) throw new TandemError('MAIL_ERR_MAILBOX_EXISTS', 'exists', `mailbox "${normalizeMailboxName(name)}" already exists`);
    const path = join(this.root, dir);
    await ensureMaildir(path);
    await writeFile(join(path, 'maildirfolder'), '');
    await fsyncDir(path);
  }

  /**
   * DELETE (RFC 9051 6.3.5). The folder is first renamed to a name no mailbox maps to, so it
   * vanishes atomically, then removed. Children are separate Maildir++ folders and stay.
   */
  async delete(name: string): Promise<void> {
    const dir = this.dirOf(name);
    if (dir === '') throw new TandemError('MAIL_ERR_DELETE_INBOX', 'not-possible', 'INBOX cannot be deleted');
    if (!(await this.exists(dir))) throw new TandemError('MAIL_ERR_NO_MAILBOX', 'not-found', `mailbox "${name}" does not exist`);
    const trash = join(this.root, `.%deleted-${randomBytes(6).toString('hex')}`);
    await rename(join(this.root, dir), trash);
    await fsyncDirNow(this.root);
    this.forget(dir);
    await rm(trash, { recursive: true, force: true });
  }

  /**
   * RENAME (RFC 9051 6.3.6) with its children. UIDs and UIDVALIDITY move with the folder
   * (the uidlist is inside it). Renaming INBOX (moving its messages) is not supported.
   */
  async rename(from: string, to: string): Promise<void> {
    const src = this.dirOf(from);
    const dst = this.dirOf(to);
    if (src === '') throw new TandemError('MAIL_ERR_RENAME_INBOX', 'not-possible', 'renaming INBOX is not supported; move its messages instead');
    if (dst === '' || (await this.exists(dst))) throw new TandemError('MAIL_ERR_MAILBOX_EXISTS', 'exists', `mailbox "${normalizeMailboxName(to)}" already exists`);
    if (!(await this.exists(src))) throw new TandemError('MAIL_ERR_NO_MAILBOX', 'not-found', `mailbox "${from}" does not exist`);
    const moves: Array<[string, string]> = [];
    for (const entry of await readdir(this.root)) {
      if (entry === src || entry.startsWith(`${src}.`)) moves.push([entry, dst + entry.slice(src.length)]);
    }
    for (const [, target] of moves) {
      if (target.length > 255) throw new TandemError('MAIL_ERR_BAD_MAILBOX', 'invalid', `renamed child folder name too long (${target.length} octets, limit 255)`);
      if (await this.exists(target)) throw new TandemError('MAIL_ERR_MAILBOX_EXISTS', 'exists', `mailbox "${maildirToMailbox(target) ?? target}" already exists`);
    }
    for (const [a, b] of moves) {
      await rename(join(this.root, a), join(this.root, b));
      this.forget(a);
      this.forget(b);
    }
    await fsyncDirNow(this.root);
  }

  /** Closes every open folder index (clean caches keep MODSEQs across a restart). */
  async close(): Promise<void> {
    const open = [...this.indexes.values()];
    this.indexes.clear();
    await Promise.all(open.map((p) => p.then((ix) => ix.close(), () => undefined)));
  }

  private forget(dir: string): void {
    this.indexes.delete(dir);
    void removeCache(this.cacheFileOf(dir));
  }

  subscriptions(): Promise<string[]> { return readSubscriptions(this.root); }
  subscribe(name: string): Promise<string[]> { return updateSubscriptions(this.root, [normalizeMailboxName(name)]); }
  unsubscribe(name: string): Promise<string[]> { return updateSubscriptions(this.root, [], [normalizeMailboxName(name)]); }

  async copy(from: string, uids: readonly number[], to: string): Promise<CopyResult> {
    return copyMessages(await this.folder(from), uids, await this.folder(to), this.root);
  }

  async move(from: string, uids: readonly number[], to: string): Promise<CopyResult & { expunged: number[] }> {
    return moveMessages(await this.folder(from), uids, await this.folder(to), this.root);
  }
}
