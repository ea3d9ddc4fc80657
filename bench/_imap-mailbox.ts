// Builds a big, realistic mailbox for the IMAP benchmark by writing Maildir files
// directly (no fsync: the benchmark measures the server, not the fill). Messages are a
// deterministic mix: short text mails, text+HTML alternatives, and mails with base64
// attachments; flags as a real mailbox has them; a rare word in a known few.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The word SEARCH TEXT looks for; it occurs in exactly RARE_COUNT messages. */
export const RARE_WORD = 'xylographer';
export const RARE_COUNT = 3;

const WORDS = ('meeting project budget report deadline review quarter customer invoice schedule update ' +
  'team proposal contract delivery release server backup network office travel lunch summary draft ' +
  'agenda minutes question answer please thanks regards tomorrow friday monday urgent later attached ' +
  'document figures numbers planning design test launch support ticket issue fixed merge branch').split(' ');
const NAMES = ['Alice Smith', 'Bob Jones', 'Carol White', 'Dave Brown', 'Erin Green', 'Frank Black', 'Grace Hall', 'Heidi Klein', 'Ivan Petrov', 'Judy Chen'];
const DOMAINS = ['example.com', 'example.org', 'example.net', 'corp.example', 'mail.example'];

/** A deterministic pseudo-random source, so runs are comparable. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)]!;
}

function sentence(rnd: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(pick(rnd, WORDS));
  const s = out.join(' ');
  return `${s[0]!.toUpperCase()}${s.slice(1)}.`;
}

/** Text of about `bytes` octets in lines under 78 characters. */
function paragraphText(rnd: () => number, bytes: number, extra?: string): string {
  const lines: string[] = [];
  let total = 0;
  while (total < bytes) {
    let line = '';
    while (line.length < 60) line += `${sentence(rnd, 3 + Math.floor(rnd() * 6))} `;
    lines.push(line.trimEnd());
    total += line.length + 2;
    if (rnd() < 0.15) { lines.push(''); total += 2; }
  }
  if (extra) lines.splice(Math.floor(lines.length / 2), 0, extra);
  return lines.join('\r\n');
}

function base64Lines(rnd: () => number, bytes: number): string {
  const raw = Buffer.alloc(Math.floor(bytes * 0.75));
  for (let i = 0; i < raw.length; i += 4) raw.writeUInt32LE(Math.floor(rnd() * 2 ** 32), Math.min(i, raw.length - 4));
  return raw.toString('base64').replace(/.{76}/g, '$&\r\n');
}

function header(rnd: () => number, n: number, when: Date): string {
  const name = pick(rnd, NAMES);
  const from = `"${name}" <${name.split(' ')[0]!.toLowerCase()}@${pick(rnd, DOMAINS)}>`;
  const subject = `${rnd() < 0.3 ? 'Re: ' : ''}${sentence(rnd, 2 + Math.floor(rnd() * 5)).slice(0, -1)} #${n}`;
  const lines = [
    `Return-Path: <bounce-${n}@${pick(rnd, DOMAINS)}>`,
    `Received: from mx.${pick(rnd, DOMAINS)} by mail.demo.test with ESMTPS; ${when.toUTCString()}`,
    `From: ${from}`,
    'To: Alice Liddell <alice@demo.test>',
    ...(rnd() < 0.3 ? [`Cc: ${pick(rnd, NAMES)} <cc${n}@${pick(rnd, DOMAINS)}>`] : []),
    `Subject: ${subject}`,
    `Date: ${when.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${n}.${Math.floor(rnd() * 1e9)}@bench.example>`,
    ...(rnd() < 0.3 ? [`In-Reply-To: <${Math.max(1, n - 3)}.thread@bench.example>`] : []),
    'MIME-Version: 1.0',
  ];
  return lines.join('\r\n');
}

/** Message number n (1-based) of the bench mailbox, and its Maildir flags. */
export function makeMessage(rnd: () => number, n: number, rare: boolean, when: Date): { data: Buffer; flags: string } {
  const kind = rnd();
  const extra = rare ? `The ${RARE_WORD} will visit on Tuesday.` : undefined;
  let body: string;
  if (kind < 0.65) {
    body = `Content-Type: text/plain; charset=us-ascii\r\n\r\n${paragraphText(rnd, 1000 + rnd() * 6000, extra)}\r\n`;
  } else if (kind < 0.9) {
    const text = paragraphText(rnd, 1500 + rnd() * 6000, extra);
    const html = `<html><body>${text.split('\r\n').map((l) => `<p>${l}</p>`).join('\r\n')}</body></html>`;
    body = `Content-Type: multipart/alternative; boundary="alt-${n}"\r\n\r\n--alt-${n}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n${text}\r\n--alt-${n}\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n${html}\r\n--alt-${n}--\r\n`;
  } else {
    const size = rnd() < 0.8 ? 20_000 + rnd() * 150_000 : 300_000 + rnd() * 700_000;
    body = `Content-Type: multipart/mixed; boundary="mix-${n}"\r\n\r\n--mix-${n}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n${paragraphText(rnd, 500 + rnd() * 2000, extra)}\r\n` +
      `--mix-${n}\r\nContent-Type: application/pdf; name="doc-${n}.pdf"\r\nContent-Disposition: attachment; filename="doc-${n}.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(rnd, size)}\r\n--mix-${n}--\r\n`;
  }
  const data = Buffer.from(`${header(rnd, n, when)}\r\n${body}`, 'latin1');
  let flags = '';
  if (rnd() < 0.05) flags += 'F';
  if (rnd() < 0.15) flags += 'R';
  if (rnd() < 0.75) flags += 'S';
  return { data, flags };
}

/**
 * Writes `count` messages into the Maildir `dir` (cur/, with flags in the names), 64 at a
 * time. The rare word goes into messages spread over the mailbox. Returns the total octets.
 */
export async function fillMaildir(dir: string, count: number, seed = 42): Promise<number> {
  for (const sub of ['cur', 'new', 'tmp']) await mkdir(join(dir, sub), { recursive: true });
  const rnd = prng(seed);
  const rareAt = new Set(Array.from({ length: RARE_COUNT }, (_, i) => Math.floor(((i + 0.5) * count) / RARE_COUNT) + 1));
  const start = Date.now() - 365 * 86_400_000;
  let total = 0;
  const batch = 64;
  for (let i = 1; i <= count; i += batch) {
    const writes: Array<Promise<void>> = [];
    for (let n = i; n < Math.min(i + batch, count + 1); n++) {
      const whenMs = start + Math.floor(((n - 1) * 365 * 86_400_000) / count);
      const { data, flags } = makeMessage(rnd, n, rareAt.has(n), new Date(whenMs));
      total += data.length;
      const sec = Math.floor(whenMs / 1000);
      const name = `${sec}.M${(whenMs % 1000) * 1000}P4242Q${n}.benchhost,S=${data.length}:2,${flags}`;
      writes.push(writeFile(join(dir, 'cur', name), data));
    }
    await Promise.all(writes);
  }
  return total;
}
