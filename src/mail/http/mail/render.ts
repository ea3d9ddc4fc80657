// A stored message made readable: headers, the text or sanitised HTML body, and the
// attachments (with their index for download). Parsed with mailparser; the last few
// parsed messages are kept, since reading one asks for the page, the body frame and
// its inline images in quick succession.
import { simpleParser, type ParsedMail, type AddressObject, type Attachment } from 'mailparser';
import { sanitizeMailHtml, textToHtml } from '../policy/sanitize-mail.ts';

export interface AttachmentInfo {
  readonly index: number;
  readonly filename: string;
  readonly contentType: string;
  readonly size: number;
  readonly contentId: string | null;
  readonly inline: boolean;
}

export interface ReadableMessage {
  readonly subject: string;
  readonly from: string;
  readonly to: string;
  readonly cc: string;
  readonly replyTo: string;
  readonly date: Date | null;
  readonly messageId: string;
  readonly references: string[];
  /** Addresses, for reply and reply-all. */
  readonly fromAddresses: string[];
  readonly toAddresses: string[];
  readonly ccAddresses: string[];
  readonly replyToAddresses: string[];
  readonly text: string;
  readonly hasHtml: boolean;
  readonly attachments: AttachmentInfo[];
}

function addressText(a: AddressObject | AddressObject[] | undefined): string {
  if (!a) return '';
  return (Array.isArray(a) ? a : [a]).map((x) => x.text).join(', ');
}

function addresses(a: AddressObject | AddressObject[] | undefined): string[] {
  if (!a) return [];
  return (Array.isArray(a) ? a : [a]).flatMap((x) => x.value).map((v) => v.address ?? '').filter((x) => x !== '');
}

const cache = new Map<string, Promise<ParsedMail>>();
const CACHE_ENTRIES = 8;

/** Parses (or reuses) a message by a key that names its file's content (the Maildir id). */
export function parsed(key: string, data: () => Promise<Buffer>): Promise<ParsedMail> {
  let p = cache.get(key);
  if (!p) {
    p = data().then((d) => simpleParser(d, { skipImageLinks: true, skipTextLinks: true }));
    cache.set(key, p);
    p.catch(() => cache.delete(key));
    if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  }
  return p;
}

function attachmentInfo(a: Attachment, index: number): AttachmentInfo {
  return {
    index,
    filename: a.filename ?? `part-${index + 1}`,
    contentType: a.contentType,
    size: a.size,
    contentId: a.contentId ? a.contentId.replace(/^<|>$/g, '') : null,
    inline: a.contentDisposition === 'inline' && Boolean(a.contentId),
  };
}

export function readable(mail: ParsedMail): ReadableMessage {
  const refs = mail.references === undefined ? [] : Array.isArray(mail.references) ? mail.references : [mail.references];
  return {
    subject: mail.subject ?? '',
    from: addressText(mail.from),
    to: addressText(mail.to),
    cc: addressText(mail.cc),
    replyTo: addressText(mail.replyTo),
    date: mail.date ?? null,
    messageId: mail.messageId ?? '',
    references: refs,
    fromAddresses: addresses(mail.from),
    toAddresses: addresses(mail.to),
    ccAddresses: addresses(mail.cc),
    replyToAddresses: addresses(mail.replyTo),
    text: mail.text ?? '',
    hasHtml: typeof mail.html === 'string' && mail.html !== '',
    attachments: mail.attachments.map(attachmentInfo),
  };
}

/** The body as a document fragment for the sandboxed frame. */
export function bodyHtml(mail: ParsedMail, allowRemote: boolean, cidUrl: (cid: string) => string | null): { html: string; remoteBlocked: number } {
  if (typeof mail.html === 'string' && mail.html !== '') return sanitizeMailHtml(mail.html, { allowRemote, cidUrl });
  return { html: `<pre class="text">${textToHtml(mail.text ?? '')}</pre>`, remoteBlocked: 0 };
}

/** The remote images a message's HTML would load (to offer "show remote content"). */
export function remoteImageCount(mail: ParsedMail): number {
  if (typeof mail.html !== 'string' || mail.html === '') return 0;
  return sanitizeMailHtml(mail.html, { allowRemote: false, cidUrl: () => null }).remoteBlocked;
}

/** Plain text of a message for body search. */
export async function bodyText(data: Buffer): Promise<string> {
  const mail = await simpleParser(data, { skipHtmlToText: false, skipImageLinks: true, skipTextLinks: true });
  return mail.text ?? '';
}
