// Builds and writes one `* n FETCH (...)` response (RFC 9051 6.4.5, 7.5.2; RFC 3516 BINARY;
// RFC 7162 MODSEQ). Body data is sent as file ranges streamed from an open descriptor with
// socket back-pressure, never read whole into memory; the descriptor is opened first, so a
// message expunged meanwhile is skipped before any byte of its response is written.
import { open, type FileHandle } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { isTandemError } from '../../../lib/errors.ts';
import type { FetchAtt, Section, Partial } from '../proto/fetch-types.ts';
import { fetchAttLabel } from '../proto/parse-fetch.ts';
import { formatValue, formatDateTime, type FormatOptions, type ImapValue } from '../proto/format.ts';
import { bodyStructureValue, envelopeValue, flagsValue } from '../proto/envelope.ts';
import type { MessageLayer, MessageMeta, SectionData } from '../message/api.ts';
import type { FolderIndex } from '../store/folder-index.ts';
import type { IndexedMessage } from '../store/state.ts';

type Segment = Buffer | { readonly start: number; readonly end: number };

export interface FetchTarget {
  readonly seq: number;
  readonly m: IndexedMessage;
}

export interface FetchOptions {
  readonly format: FormatOptions;
  /** Items beyond those asked for: UID (UID FETCH), FLAGS (after an implicit \Seen), MODSEQ (CHANGEDSINCE). */
  readonly extra: readonly ('UID' | 'FLAGS' | 'MODSEQ')[];
}

export type FetchOutcome = 'sent' | 'gone' | 'unknown-cte';

/**
 * Items whose bytes come from the file. ENVELOPE, BODY and BODYSTRUCTURE come from the
 * message layer's cache by Maildir id, so a FETCH of them opens no file once cached.
 */
const NEEDS_FILE = new Set(['BODY[]', 'BINARY[]', 'BINARY.SIZE', 'RFC822', 'RFC822.HEADER', 'RFC822.TEXT']);

const PROC_FD = existsSync('/proc/self/fd');

const WHOLE: Section = { part: [], text: null, fields: [] };

function applyPartial(d: SectionData, p: Partial | null): SectionData {
  if (!p || d.kind === 'empty') return d;
  if (d.kind === 'bytes') return { kind: 'bytes', data: d.data.subarray(Math.min(p.start, d.data.length), Math.min(p.start + p.length, d.data.length)) };
  const start = Math.min(d.start + p.start, d.end);
  return { kind: 'range', start, end: Math.min(start + p.length, d.end) };
}

function literal(d: SectionData, binary: boolean): Segment[] {
  if (d.kind === 'empty') return [Buffer.from('""')];
  const size = d.kind === 'bytes' ? d.data.length : d.end - d.start;
  if (size === 0) return [Buffer.from('""')];
  const head = Buffer.from(`${binary ? '~' : ''}{${size}}\r\n`);
  return d.kind === 'bytes' ? [head, d.data] : [head, { start: d.start, end: d.end }];
}

export class MessageFetcher {
  /** Bytes of a response are on their way: an error now cannot be retried. */
  private writing = false;

  constructor(private readonly ix: FolderIndex, private readonly messages: () => Promise<MessageLayer>) {}

  /** Writes the FETCH response of one message through `send`. */
  async fetch(t: FetchTarget, items: readonly FetchAtt[], o: FetchOptions, send: (b: Buffer) => Promise<void>): Promise<FetchOutcome> {
    const m = t.m;
    const filePath = this.ix.pathOf(m);
    let fh: FileHandle | null = null;
    if (items.some((a) => NEEDS_FILE.has(a.item))) {
      fh = await open(filePath, 'r').catch(() => null);
      if (!fh) return 'gone';
    }
    try {
      // The message layer opens the file by path again; through /proc/self/fd it reopens the
      // very file this descriptor holds, so a rename by a concurrent STORE cannot break it.
      const path = fh && PROC_FD ? `/proc/self/fd/${fh.fd}` : filePath;
      const fileSize = fh ? (await fh.stat()).size : m.size;
      let meta: MessageMeta | null = null;
      const layer = async (): Promise<MessageLayer> => this.messages();
      const getMeta = async (): Promise<MessageMeta> => (meta ??= await (await layer()).meta(path, m.id));
      const section = async (s: Section): Promise<SectionData> => {
        if (s.part.length === 0 && s.text === null) return { kind: 'range', start: 0, end: fileSize };
        return (await layer()).section(path, await getMeta(), s);
      };
      const pairs: Segment[][] = [];
      const value = (label: string, v: ImapValue): void => { pairs.push([Buffer.from(`${label} `), formatValue(v, o.format)]); };
      const done = new Set<string>();
      for (const extra of o.extra) {
        if (items.some((a) => a.item === extra)) continue;
        if (extra === 'UID') value('UID', m.uid);
      }
      for (const a of items) {
        const label = fetchAttLabel(a);
        if (done.has(label)) continue;
        done.add(label);
        switch (a.item) {
          case 'UID': value('UID', m.uid); break;
          case 'FLAGS': value('FLAGS', flagsValue(this.ix.flagsOf(m))); break;
          case 'INTERNALDATE': value('INTERNALDATE', formatDateTime(new Date(Math.floor(m.time)))); break;
          case 'RFC822.SIZE': value('RFC822.SIZE', fileSize); break;
          case 'MODSEQ': value('MODSEQ', [BigInt(m.modseq)]); break;
          case 'ENVELOPE': value('ENVELOPE', envelopeValue((await getMeta()).envelope)); break;
          case 'BODY': value('BODY', bodyStructureValue((await getMeta()).bodyStructure, false)); break;
          case 'BODYSTRUCTURE': value('BODYSTRUCTURE', bodyStructureValue((await getMeta()).bodyStructure, true)); break;
          case 'RFC822': pairs.push([Buffer.from('RFC822 '), ...literal(await section(WHOLE), false)]); break;
          case 'RFC822.HEADER': pairs.push([Buffer.from('RFC822.HEADER '), ...literal(await section({ part: [], text: 'HEADER', fields: [] }), false)]); break;
          case 'RFC822.TEXT': pairs.push([Buffer.from('RFC822.TEXT '), ...literal(await section({ part: [], text: 'TEXT', fields: [] }), false)]); break;
          case 'BODY[]': pairs.push([Buffer.from(`${label} `), ...literal(applyPartial(await section(a.section), a.partial), false)]); break;
          case 'BINARY[]': {
            const d = a.part.length === 0 ? { kind: 'range' as const, start: 0, end: fileSize } : await (await layer()).binary(path, await getMeta(), a.part);
            if (d === null) return 'unknown-cte';
            pairs.push([Buffer.from(`${label} `), ...literal(applyPartial(d, a.partial), true)]);
            break;
          }
          case 'BINARY.SIZE': {
            const n = a.part.length === 0 ? fileSize : await (await layer()).binarySize(path, await getMeta(), a.part);
            if (n === null) return 'unknown-cte';
            value(label, n);
            break;
          }
        }
      }
      for (const extra of o.extra) {
        if (items.some((a) => a.item === extra) || extra === 'UID') continue;
        if (extra === 'FLAGS') value('FLAGS', flagsValue(this.ix.flagsOf(m)));
        if (extra === 'MODSEQ') value('MODSEQ', [BigInt(m.modseq)]);
      }
      await this.write(fh, t.seq, pairs, send);
      return 'sent';
    } catch (e) {
      // Renamed or removed while the message layer read it; nothing was written yet
      // (write() comes last), so the caller can look the message up again.
      if (((e as NodeJS.ErrnoException)?.code === 'ENOENT' || isTandemError(e, 'not-found')) && !this.writing) return 'gone';
      throw e;
    } finally {
      this.writing = false;
      await fh?.close().catch(() => undefined);
    }
  }

  private async write(fh: FileHandle | null, seq: number, pairs: Segment[][], send: (b: Buffer) => Promise<void>): Promise<void> {
    this.writing = true;
    let pending: Buffer[] = [Buffer.from(`* ${seq} FETCH (`)];
    const flush = async (): Promise<void> => {
      if (pending.length) await send(Buffer.concat(pending));
      pending = [];
    };
    for (let i = 0; i < pairs.length; i++) {
      if (i > 0) pending.push(Buffer.from(' '));
      for (const seg of pairs[i]!) {
        if (Buffer.isBuffer(seg)) {
          pending.push(seg);
          continue;
        }
        await flush();
        // Small pieces are read at once; big ones stream, each chunk waiting for the socket.
        for await (const chunk of fh!.createReadStream({ start: seg.start, end: seg.end - 1, autoClose: false, highWaterMark: 64 * 1024 })) {
          await send(chunk as Buffer);
        }
      }
    }
    pending.push(Buffer.from(')\r\n'));
    await flush();
  }
}
