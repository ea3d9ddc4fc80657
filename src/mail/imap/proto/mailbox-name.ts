// Mailbox names: wire form (modified UTF-7 or UTF-8), the "/" hierarchy, INBOX, and the
// reversible mapping to Maildir++ folder directories (".Sent", ".Archive.2024"). Pure.
import { decodeMutf7, encodeMutf7 } from './mutf7.ts';

/** Hierarchy separator shown to clients; see docs/imap-protocol.md for why "/" and not ".". */
export const SEPARATOR = '/';

/** Longest Maildir++ directory name we create (one path component on common file systems). */
const MAX_DIR_BYTES = 255;

/**
 * A wire mailbox name as Unicode: modified UTF-7 for IMAP4rev1, UTF-8 as is once IMAP4rev2 or
 * UTF8=ACCEPT is enabled (RFC 9051 section 5.1, RFC 6855 section 3). Null when undecodable.
 */
export function decodeMailboxName(wire: string, utf8: boolean): string | null {
  const name = utf8 ? wire : decodeMutf7(wire);
  return name === null ? null : normalizeMailboxName(name);
}

/** A Unicode name as the client expects it on the wire. */
export function encodeMailboxName(name: string, utf8: boolean): string {
  return utf8 ? name : encodeMutf7(name);
}

/** INBOX is case-insensitive, also as the first level of a hierarchy (RFC 3501 section 5.1). */
export function normalizeMailboxName(name: string): string {
  const first = name.split(SEPARATOR, 1)[0]!;
  return first.toUpperCase() === 'INBOX' ? `INBOX${name.slice(first.length)}` : name;
}

/** Why a Unicode name cannot be created, or null when it is acceptable. */
export function mailboxNameProblem(name: string): string | null {
  if (name === '') return 'empty mailbox name';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) return 'control characters are not allowed in mailbox names';
  if (/[*%]/.test(name)) return 'wildcards * and % are not allowed in mailbox names';
  if (name.split(SEPARATOR).some((c) => c === '')) return 'mailbox name has an empty hierarchy level';
  const dir = toDir(normalizeMailboxName(name));
  if (Buffer.byteLength(dir) > MAX_DIR_BYTES) return `mailbox name too long (${Buffer.byteLength(dir)} octets on disk, limit ${MAX_DIR_BYTES})`;
  return null;
}

/** `%` and `.` inside one level are hex escaped: "." separates levels on disk (Maildir++). */
function escapeLevel(level: string): string {
  return encodeMutf7(level.replace(/[%.]/g, (c) => (c === '%' ? '%25' : '%2E')));
}

function unescapeLevel(level: string): string | null {
  const decoded = decodeMutf7(level);
  if (decoded === null || decoded === '') return null;
  if (/%(?!25|2E)/.test(decoded)) return null;
  return decoded.replace(/%25|%2E/g, (e) => (e === '%25' ? '%' : '.'));
}

function toDir(name: string): string {
  if (name === 'INBOX') return '';
  return `.${name.split(SEPARATOR).map(escapeLevel).join('.')}`;
}

/**
 * The Maildir++ directory of a mailbox: '' for INBOX (the Maildir itself), else "." and the
 * levels joined by ".". Null when the name is invalid. Never yields "/" or a "." / ".." level.
 * @example mailboxToMaildir('Archive/2024') // '.Archive.2024'
 */
export function mailboxToMaildir(name: string): string | null {
  if (mailboxNameProblem(name)) return null;
  return toDir(normalizeMailboxName(name));
}

/**
 * The mailbox of a Maildir++ directory name; null for anything mailboxToMaildir would not
 * produce (no leading ".", empty levels, bad escapes, non-canonical forms like ".inbox").
 * @example maildirToMailbox('.Entw&APw-rfe') // 'Entwürfe'
 */
export function maildirToMailbox(dir: string): string | null {
  if (dir === '') return 'INBOX';
  if (!dir.startsWith('.') || dir.includes('/')) return null;
  const levels = dir.slice(1).split('.').map(unescapeLevel);
  if (levels.some((l) => l === null)) return null;
  const name = levels.join(SEPARATOR);
  return mailboxToMaildir(name) === dir ? name : null;
}
