// Webmail response times: a 10000-message INBOX (the http service in its own process,
// a logged-in fetch client on loopback): the message list's first page cold (first
// sight of the folder) and warm, a later page, the list sorted by subject (every
// message's header is read once, then cached), and opening a 1 MB message (the page and
// its body document). Medians of --runs requests after the first.
// Usage: npm run bench:web -- [--messages 10000] [--runs 7]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startWebStack, WebClient } from '../test/helpers/browser.ts';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '10000' }, runs: { type: 'string', default: '7' } } });
const N = Number(values.messages);
const RUNS = Number(values.runs);

function message(i: number, body: string): string {
  const date = new Date(Date.UTC(2026, 0, 1) + i * 60_000).toUTCString().replace('GMT', '+0000');
  return `Return-Path: <sender${i % 97}@example.org>\r\nFrom: Sender ${i % 97} <sender${i % 97}@example.org>\r\nTo: alice@demo.test\r\n`
    + `Subject: message number ${i} about topic ${(i * 7919) % 1000}\r\nDate: ${date}\r\nMessage-ID: <m${i}@example.org>\r\n`
    + `Content-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const stack = await startWebStack();
  try {
    // Files are placed the way a finished delivery leaves them (new/, unique names); the
    // bench measures reading, not delivery, so it skips the per-file fsync.
    const inbox = stack.vol.layout.maildir('demo.test', 'alice');
    mkdirSync(join(inbox, 'new'), { recursive: true });
    const t0 = Date.UTC(2026, 0, 1) / 1000;
    const filler = 'Lorem ipsum dolor sit amet. '.repeat(60);
    for (let i = 0; i < N; i++) writeFileSync(join(inbox, 'new', `${t0 + i}.M${i}P1.bench`), message(i, filler));
    const big = 'x'.repeat(76) + '\r\n';
    const bigBody = big.repeat(Math.ceil((1024 * 1024) / big.length));
    writeFileSync(join(inbox, 'new', `${t0 + N}.M${N}P1.bench`), message(N, bigBody).replace('Subject: message number', 'Subject: the big one, number'));

    const c = new WebClient(stack.base);
    const login = await c.login('alice@demo.test', 'wonderland');
    if (login.status !== 303) throw new Error(`login failed: ${login.status}`);
    const get = async (path: string) => {
      const r = await c.get(path);
      if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.text.slice(0, 200)}`);
      return r;
    };
    const cold = await timed(() => get('/mail'));
    const repeat = async (path: string) => {
      const xs: number[] = [];
      for (let i = 0; i < RUNS; i++) xs.push(await timed(() => get(path)));
      return median(xs);
    };
    const first = await repeat('/mail');
    const later = await repeat('/mail?page=150');
    const sortCold = await timed(() => get('/mail?sort=subject'));
    const sortWarm = await repeat('/mail?sort=subject&page=100');
    const listed = await get('/mail?q=the+big+one&in=subject');
    const uid = /uid=(\d+)">the big one/.exec(listed.text)?.[1];
    if (!uid) throw new Error('big message not found');
    const openCold = await timed(async () => { await get(`/mail/read?f=INBOX&uid=${uid}`); await get(`/mail/body?f=INBOX&uid=${uid}`); });
    const openWarm = await repeat(`/mail/read?f=INBOX&uid=${uid}`);
    const bodyWarm = await repeat(`/mail/body?f=INBOX&uid=${uid}`);
    const ms = (x: number) => `${x.toFixed(0)} ms`;
    process.stdout.write([
      `web bench: INBOX of ${N + 1} messages, median of ${RUNS} requests`,
      `  list, first page, first visit (index build + 50 headers)  ${ms(cold)}`,
      `  list, first page                                          ${ms(first)}`,
      `  list, page 150                                            ${ms(later)}`,
      `  list sorted by subject, first time (reads all headers)    ${ms(sortCold)}`,
      `  list sorted by subject, page 100                          ${ms(sortWarm)}`,
      `  open 1 MB message, first time (page + body)               ${ms(openCold)}`,
      `  open 1 MB message again: page / body                      ${ms(openWarm)} / ${ms(bodyWarm)}`,
      '',
    ].join('\n'));
  } finally {
    await stack.close();
  }
}

await main();
