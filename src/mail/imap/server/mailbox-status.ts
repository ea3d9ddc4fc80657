// STATUS data of one folder (RFC 9051 6.3.11, RFC 7162 HIGHESTMODSEQ, RFC 8438 SIZE,
// RFC 7889 APPENDLIMIT), shared by STATUS and LIST-STATUS (RFC 5819).
import type { StatusItem } from '../proto/command-types.ts';
import type { FolderIndex } from '../store/folder-index.ts';

export async function statusValues(ix: FolderIndex, items: readonly StatusItem[], appendLimit: number): Promise<Array<[StatusItem, number | bigint]>> {
  await ix.sync();
  const s = ix.status();
  const out: Array<[StatusItem, number | bigint]> = [];
  for (const item of new Set(items)) {
    switch (item) {
      case 'MESSAGES': out.push([item, s.messages]); break;
      // \Recent is not kept (RFC 9051 removed it); IMAP4rev1 allows 0.
      case 'RECENT': out.push([item, 0]); break;
      case 'UIDNEXT': out.push([item, s.uidNext]); break;
      case 'UIDVALIDITY': out.push([item, s.uidValidity]); break;
      case 'UNSEEN': out.push([item, s.unseen]); break;
      case 'DELETED': out.push([item, ix.messages().filter((m) => m.letters.includes('T')).length]); break;
      case 'SIZE': out.push([item, s.size]); break;
      case 'HIGHESTMODSEQ': out.push([item, BigInt(s.highestModseq)]); break;
      case 'APPENDLIMIT': out.push([item, appendLimit]); break;
    }
  }
  return out;
}
