// BINARY[part] and BINARY.SIZE (RFC 3516): not implemented yet (next commit).
import { TandemError } from '../../../lib/errors.ts';
import type { MessageMeta, SectionData } from './api.ts';

export async function binaryData(_path: string, _meta: MessageMeta, _part: readonly number[]): Promise<SectionData | null> {
  throw new TandemError('IMAP_NOT_YET', 'not-possible', 'BINARY is not implemented yet');
}
export async function binarySize(_path: string, _meta: MessageMeta, _part: readonly number[]): Promise<number | null> {
  throw new TandemError('IMAP_NOT_YET', 'not-possible', 'BINARY.SIZE is not implemented yet');
}
