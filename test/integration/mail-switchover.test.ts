// A planned move of the real mail group (`group move`) with SMTP clients on the VIP
// (docs/switchover.md): the transaction in flight when the move begins finishes on the old
// node and gets its 250; a client that connects during the drain gets 421 4.3.2 and,
// retrying, gets 250 from the new node; every acknowledged message is on the volume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { eventually } from '../helpers/cluster.ts';
import { LAB_DOMAIN, MailCluster } from '../helpers/mail-cluster.ts';
import { listMaildir, readMessage } from '../../src/mail/storage/maildir.ts';

/** A line-oriented TCP client: SMTP replies as they come, with bounded waits. */
class LineClient {
  private buf = '';
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (c: Buffer) => { this.buf += c.toString('latin1'); this.wake(); });
    socket.on('close', () => { this.closed = true; this.wake(); });
    socket.on('error', () => undefined);
  }

  private wake(): void { for (const w of this.waiters.splice(0)) w(); }

  /** Connects, or null when nothing listens (the VIP between the nodes). */
  static open(host: string, port: number): Promise<LineClient | null> {
    return new Promise((resolve) => {
      const s = connect({ host, port });
      s.once('connect', () => resolve(new LineClient(s)));
      s.once('error', () => resolve(null));
    });
  }

  /** The next reply's last line ("250 ..." after "250-..."), or null once closed. */
  async reply(ms = 30_000): Promise<string | null> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        if (/^\d{3}-/.test(line)) continue;
        return line;
      }
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply in ${ms} ms (have ${JSON.stringify(this.buf.slice(0, 200))})`);
      await new Promise<void>((resolve) => { const t = setTimeout(resolve, left); this.waiters.push(() => { clearTimeout(t); resolve(); }); });
    }
  }

  send(text: string): void { this.socket.write(text, 'latin1'); }

  async say(line: string, expect: RegExp): Promise<void> {
    this.send(`${line}\r\n`);
    const r = await this.reply();
    assert.match(r ?? '(closed)', expect, `${line} -> ${r}`);
  }

  close(): void { this.socket.destroy(); }
}

const MOVING = /^421 4\.3\.2 mail\.lab\.test Service moving to another server, try again shortly$/;
const ACCEPTED = /^250 2\.0\.0 OK: message accepted/;

function message(id: string, body: string): string {
  return `Subject: ${id}\r\nMessage-ID: <${id}@client.test>\r\n\r\n${body}\r\n`;
}

async function transaction(c: LineClient): Promise<void> {
  await c.say('EHLO client.test', /^250 /);
  await c.say('MAIL FROM:<bob@lab.test>', /^250 /);
  await c.say('RCPT TO:<alice@lab.test>', /^250 /);
  await c.say('DATA', /^354 /);
}

test('planned move: the transaction in flight gets 250, a client told 421 retries and gets 250 from the new node, nothing acknowledged is lost', async () => {
  const lab = await MailCluster.create({ style: 'services', start: false });
  try {
    // A drain long enough that this test, not the clock, ends it (it stays inside the
    // service resources' stop grace of 15 s).
    const file = lab.layout.settingsFile;
    const settings = parseYaml(readFileSync(file, 'utf8')) as { limits?: Record<string, unknown> };
    writeFileSync(file, toYaml({ ...settings, limits: { ...settings.limits, drainTimeoutSeconds: 10 } }));
    for (const n of lab.h.names()) await lab.h.start(n);
    await lab.waitRunning('sv1');
    const { vip } = lab;
    const port = lab.ports.smtp;
    const acknowledged: string[] = [];

    const before = await LineClient.open(vip, port);
    assert.ok(before);
    assert.match((await before.reply()) ?? '', /^220 /);
    await transaction(before);
    before.send(`${message('before-move', 'sent before the move')}.\r\n`);
    assert.match((await before.reply()) ?? '(closed)', ACCEPTED);
    acknowledged.push('before-move');
    await before.say('QUIT', /^221 /);

    // A: a slow DATA transfer, half sent when the move begins.
    const a = await LineClient.open(vip, port);
    assert.ok(a);
    assert.match((await a.reply()) ?? '', /^220 /);
    await transaction(a);
    a.send(message('in-flight', 'first half').slice(0, -2));

    await lab.h.api('sv1', 'POST', '/api/group/mail/move', { to: 'sv2' });

    // B connects until the drain answers it (before the smtp resource stops it still gets
    // 220: it just leaves).
    const told = await eventually('a new connection gets 421 during the drain', async () => {
      const b = await LineClient.open(vip, port);
      if (!b) return null;
      const greeting = await b.reply(10_000).catch(() => null);
      b.close();
      return greeting && MOVING.test(greeting) ? greeting : null;
    }, 60_000, 100);
    assert.match(told, MOVING);

    a.send(`\r\nsecond half\r\n.\r\n`);
    assert.match((await a.reply()) ?? '(closed)', ACCEPTED, 'the transaction in flight is accepted by the old node');
    acknowledged.push('in-flight');
    assert.match((await a.reply()) ?? '(closed)', MOVING, 'then told to go');
    assert.equal(await a.reply(), null);

    // B retries, as an MTA does after a 421, and reaches the new node through the VIP.
    const retried = await eventually('the retry after 421 is accepted', async () => {
      const b = await LineClient.open(vip, port);
      if (!b) return null;
      try {
        const greeting = await b.reply(10_000).catch(() => null);
        if (!greeting?.startsWith('220')) return null;
        await transaction(b);
        b.send(`${message('retried', 'sent again after 421')}.\r\n`);
        const r = await b.reply();
        return r && ACCEPTED.test(r) ? r : null;
      } finally {
        b.close();
      }
    }, 120_000, 500);
    assert.match(retried, ACCEPTED);
    acknowledged.push('retried');
    assert.equal(await lab.holder('sv2'), 'sv2', 'the new node holds the group');
    await lab.waitRunning('sv2');

    const maildir = lab.layout.maildir(LAB_DOMAIN, 'alice');
    const texts = await Promise.all((await listMaildir(maildir)).map(async (m) => (await readMessage(m.path)).toString()));
    for (const id of acknowledged) {
      assert.equal(texts.filter((t) => t.includes(`<${id}@client.test>`)).length, 1, `${id} is stored once`);
    }
    assert.ok(texts.find((t) => t.includes('<in-flight@client.test>'))!.includes('second half'), 'whole');
    const sv1 = lab.events('sv1');
    assert.ok(sv1.some((e) => e.kind === 'resource.stopped' && e.resource === 'smtp' && /stopped by SIGTERM/.test(e.message)), 'smtp drained and exited on SIGTERM, not killed');
  } finally {
    await lab.cleanup();
  }
});
