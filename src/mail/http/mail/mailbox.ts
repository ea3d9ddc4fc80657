// The webmail's view of one user's mail, over the IMAP store (src/mail/imap/store/):
// folders with unread counts, a sorted and paged list, flags, move, delete to Trash
// (expunge from Trash), append (Sent, Drafts) and search. UIDs are IMAP's, so the
// webmail and IMAP clients see the same messages and flags.
import { readFile } from 'node:fs/promises';
import type { VolumeLayout } from '../../core/volume.ts';
import type { User } from '../../directory/directory.ts';
import { MailIndexes } from '../../imap/store/registry.ts';
import type { UserStore } from '../../imap/store/user-store.ts';
import type { FolderIndex } from '../../imap/store/folder-index.ts';
import type { IndexedMessage } from '../../imap/store/state.ts';
import { TandemError } from '../../../lib/errors.ts';
import { pageOf, type ListRequest, type Page } from '../policy/message-list.ts';
import { SummaryCache, type Summary } from './summaries.ts';
import { bodyText } from './render.ts';

export interface FolderRow { name: string; specialUse: string | null; messages: number; unseen: number }

export interface MessageRow {
  readonly uid: number;
  readonly time: number;
  readonly size: number;
  readonly flags: string[];
  readonly summary: Summary;
}

export interface FoundMessage { ix: FolderIndex; message: IndexedMessage; path: string; flags: string[] }

export type SearchField = 'all' | 'subject' | 'from' | 'body';

/** Body search reads whole files: it looks at the newest this many messages of a folder. */
export const BODY_SEARCH_LIMIT = 2000;

export class WebMailbox {
  private readonly indexes: MailIndexes;
  private readonly summaries = new SummaryCache();

  constructor(layout: VolumeLayout) {
    this.indexes = new MailIndexes(layout);
  }

  close(): Promise<void> { return this.indexes.close(); }

  store(user: User): Promise<UserStore> {
    return this.indexes.user(user.domain, user.local);
  }

  private async folder(user: User, name: string): Promise<FolderIndex> {
    const ix = await (await this.store(user)).folder(name);
    await ix.sync();
    return ix;
  }

  async folders(user: User): Promise<FolderRow[]> {
    const store = await this.store(user);
    const rows: FolderRow[] = [];
    for (const f of await store.list()) {
      const s = await store.status(f.name);
      rows.push({ name: f.name, specialUse: f.specialUse, messages: s.messages, unseen: s.unseen });
    }
    return rows;
  }

  /** The folder with a special use (e.g. '\\Sent'), or the conventional name. */
  async specialFolder(user: User, use: string): Promise<string> {
    const f = (await (await this.store(user)).list()).find((x) => x.specialUse === use);
    return f?.name ?? use.slice(1);
  }

  async list(user: User, folder: string, req: ListRequest, search?: { text: string; field: SearchField }): Promise<Page<MessageRow>> {
    const ix = await this.folder(user, folder);
    let messages: readonly IndexedMessage[] = ix.messages();
    if (search && search.text.trim() !== '') messages = await this.search(ix, messages, search.text.trim(), search.field);
    const needText = req.sort === 'from' || req.sort === 'subject';
    const texts = new Map<number, string>();
    if (needText) {
      for (const m of messages) {
        const s = await this.summaries.get(ix.pathOf(m), m.id);
        texts.set(m.uid, req.sort === 'from' ? s.from : s.subject.replace(/^((re|fwd?|aw|sv)\s*:\s*)+/i, ''));
      }
    }
    const page = pageOf(messages, req, (m) => texts.get(m.uid) ?? '');
    const rows: MessageRow[] = [];
    for (const m of page.rows) {
      rows.push({ uid: m.uid, time: m.time, size: m.size, flags: ix.flagsOf(m), summary: await this.summaries.get(ix.pathOf(m), m.id) });
    }
    return { ...page, rows };
  }

  private async search(ix: FolderIndex, messages: readonly IndexedMessage[], text: string, field: SearchField): Promise<IndexedMessage[]> {
    const needle = text.toLowerCase();
    const out: IndexedMessage[] = [];
    const newestFirst = [...messages].sort((a, b) => b.time - a.time);
    for (const [i, m] of newestFirst.entries()) {
      const s = await this.summaries.get(ix.pathOf(m), m.id);
      const inHead = (field === 'all' || field === 'subject') && s.subject.toLowerCase().includes(needle)
        || (field === 'all' || field === 'from') && `${s.from} ${s.fromAddress}`.toLowerCase().includes(needle);
      if (inHead) { out.push(m); continue; }
      if ((field === 'all' || field === 'body') && i < BODY_SEARCH_LIMIT) {
        const body = await bodyText(await readFile(ix.pathOf(m))).catch(() => '');
        if (body.toLowerCase().includes(needle)) out.push(m);
      }
    }
    return out;
  }

  async find(user: User, folder: string, uid: number): Promise<FoundMessage> {
    const ix = await this.folder(user, folder);
    const message = ix.messages().find((m) => m.uid === uid);
    if (!message) throw new TandemError('MAIL_ERR_NO_MESSAGE', 'not-found', `no message with UID ${uid} in ${folder}`);
    return { ix, message, path: ix.pathOf(message), flags: ix.flagsOf(message) };
  }

  async read(user: User, folder: string, uid: number): Promise<{ data: Buffer; found: FoundMessage }> {
    const found = await this.find(user, folder, uid);
    return { data: await readFile(found.path), found };
  }

  async setFlags(user: User, folder: string, uids: number[], mode: 'add' | 'remove', flags: string[]): Promise<void> {
    const ix = await this.folder(user, folder);
    await ix.setFlags(uids, mode, flags);
  }

  async move(user: User, folder: string, uids: number[], to: string): Promise<void> {
    if (folder === to) return;
    await (await this.store(user)).move(folder, uids, to);
  }

  /** Delete as mail users expect: to Trash; from Trash (or with no Trash), gone for good. */
  async delete(user: User, folder: string, uids: number[]): Promise<'trash' | 'expunged'> {
    const trash = await this.specialFolder(user, '\\Trash');
    if (folder !== trash) {
      await this.move(user, folder, uids, trash);
      return 'trash';
    }
    const ix = await this.folder(user, folder);
    await ix.expunge(uids, { onlyDeleted: false });
    return 'expunged';
  }

  /** Removes messages for good (a replaced draft). */
  async expunge(user: User, folder: string, uids: number[]): Promise<void> {
    const ix = await this.folder(user, folder);
    await ix.expunge(uids, { onlyDeleted: false });
  }

  async append(user: User, folder: string, data: Buffer, flags: string[]): Promise<number> {
    const ix = await this.folder(user, folder);
    return (await ix.append(data, flags)).uid;
  }
}
