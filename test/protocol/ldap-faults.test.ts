// The ldap service under hostile or unusual clients: repeated bad binds are throttled,
// writes are refused with unwillingToPerform, malformed bytes are answered or the
// connection closed while the service keeps serving, cleartext passwords are refused
// off loopback, and anonymous searching follows its setting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { bind, ldapClient, ldapjs, runLdapTool, search, startLdap, unbind, valuesIn } from './ldap-harness.ts';

/** Sends raw bytes, returns what came back before the server closed or 1.5 s passed. */
function rawExchange(port: number, bytes: Buffer): Promise<{ reply: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.write(bytes));
    let closed = false;
    const done = () => { clearTimeout(timer); socket.destroy(); resolve({ reply: Buffer.concat(chunks), closed }); };
    const timer = setTimeout(done, 1500);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => { closed = true; done(); });
  });
}

async function stillServes(port: number): Promise<void> {
  const r = await runLdapTool('ldapsearch', ['-x', '-LLL', '-H', `ldap://127.0.0.1:${port}`, '-D', 'bob@demo.test', '-w', 'builder', '-b', 'dc=demo,dc=test', '(uid=alice)', 'mail']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(valuesIn(r.stdout, 'mail'), ['alice@demo.test']);
}

test('bad binds are throttled per user: busy (51) even with the right password, then other users still bind', async () => {
  const f = await startLdap({ auth: { allowPlaintextOnLoopback: true, maxFailuresPerUser: 3, maxFailuresPerIp: 50, failureWindowSeconds: 300 } });
  const client = ldapClient(`ldap://127.0.0.1:${f.port}`);
  try {
    for (let i = 0; i < 3; i++) {
      await assert.rejects(bind(client, 'alice@demo.test', `guess${i}`), (e: Error & { code?: number }) => e.code === 49);
    }
    await assert.rejects(bind(client, 'alice@demo.test', 'wonderland'), (e: Error & { code?: number }) => e.code === 51);
    // ldapjs's client drops the diagnostic message; ldapsearch shows it.
    const r = await runLdapTool('ldapsearch', ['-x', '-H', `ldap://127.0.0.1:${f.port}`, '-D', 'uid=alice,ou=people,dc=demo,dc=test', '-w', 'wonderland', '-b', 'dc=demo,dc=test']);
    assert.equal(r.code, 51, r.stderr);
    assert.match(r.stderr, /too many failed binds for this user; try again in \d+ seconds/);
    await bind(client, 'bob@demo.test', 'builder');
  } finally {
    await unbind(client);
    await f.stop();
  }
});

test('writes are refused with unwillingToPerform and change nothing', async () => {
  const f = await startLdap();
  const client = ldapClient(`ldap://127.0.0.1:${f.port}`);
  try {
    await bind(client, 'alice@demo.test', 'wonderland');
    const attempts: Array<[string, (cb: (err: Error | null) => void) => void]> = [
      ['add', (cb) => client.add('uid=eve,ou=people,dc=demo,dc=test', { objectClass: 'inetOrgPerson', uid: 'eve', cn: 'Eve', sn: 'Eve' }, cb)],
      ['modify', (cb) => client.modify('uid=bob,ou=people,dc=demo,dc=test', new ldapjs.Change({ operation: 'replace', modification: new ldapjs.Attribute({ type: 'mail', values: ['evil@x.test'] }) }), cb)],
      ['delete', (cb) => client.del('uid=bob,ou=people,dc=demo,dc=test', cb)],
      ['modify DN', (cb) => client.modifyDN('uid=bob,ou=people,dc=demo,dc=test', 'uid=robert', cb)],
    ];
    for (const [what, op] of attempts) {
      const err = await new Promise<Error & { code?: number } | null>((resolve) => op((e) => resolve(e)));
      assert.equal(err?.code, 53, `${what}: ${err?.message}`);
    }
    const r = await search(client, 'uid=bob,ou=people,dc=demo,dc=test', { scope: 'base', attributes: ['mail'] });
    assert.deepEqual(r.entries[0]?.attributes.mail, ['bob@demo.test']);
    const ldif = 'dn: uid=bob,ou=people,dc=demo,dc=test\nchangetype: modify\nreplace: mail\nmail: evil@x.test\n';
    const m = await runLdapTool('ldapmodify', ['-x', '-H', `ldap://127.0.0.1:${f.port}`, '-D', 'alice@demo.test', '-w', 'wonderland'], { input: ldif });
    assert.equal(m.code, 53, m.stderr);
    assert.match(m.stderr, /the address book is read-only; modify is not possible/);
  } finally {
    await unbind(client);
    await f.stop();
  }
});

test('malformed requests are answered or closed, and the service keeps serving', async () => {
  const f = await startLdap();
  try {
    const cases: Array<[string, Buffer]> = [
      ['not BER at all', Buffer.from('GET / HTTP/1.0\r\n\r\n')],
      ['a sequence claiming 2 GB, then 1 MB of it', Buffer.concat([Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x02, 0x01, 0x01]), Buffer.alloc(1024 * 1024, 0x41)])],
      ['truncated bind request', Buffer.from([0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01])],
      ['unknown operation tag', Buffer.from([0x30, 0x05, 0x02, 0x01, 0x01, 0x7e, 0x00])],
      ['search with a broken filter', Buffer.from([0x30, 0x1a, 0x02, 0x01, 0x02, 0x63, 0x15, 0x04, 0x00, 0x0a, 0x01, 0x00, 0x0a, 0x01, 0x00, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x01, 0x01, 0x00, 0xa9, 0x01, 0xff, 0x30, 0x00])],
      ['random bytes', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 73 + 11) % 256))],
    ];
    for (const [name, bytes] of cases) {
      const r = await rawExchange(f.port, bytes);
      // Either an LDAP message came back (a BER sequence) or the server closed or waits
      // for more bytes; what matters is that nothing else comes back and the service lives.
      assert.ok(r.closed || r.reply.length === 0 || r.reply[0] === 0x30, `${name}: unexpected reply ${r.reply.toString('hex').slice(0, 40)}`);
      await stillServes(f.port);
    }
    const flood = await rawExchange(f.port, Buffer.concat([Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]), Buffer.alloc(1024 * 1024, 0x41)]));
    assert.ok(flood.closed, 'a request over the size bound is cut, not buffered');
    const bogusBase = await runLdapTool('ldapsearch', ['-x', '-LLL', '-H', `ldap://127.0.0.1:${f.port}`, '-D', 'bob@demo.test', '-w', 'builder', '-b', 'bogus']);
    assert.notEqual(bogusBase.code, 0);
    await stillServes(f.port);
  } finally {
    await f.stop();
  }
});

test('without plaintext on loopback, a cleartext bind is refused (13) and the same bind after StartTLS works', async () => {
  const f = await startLdap({ auth: { allowPlaintextOnLoopback: false } });
  try {
    const args = ['-x', '-LLL', '-H', `ldap://127.0.0.1:${f.port}`, '-D', 'bob@demo.test', '-w', 'builder', '-b', 'dc=demo,dc=test', '(uid=alice)', 'mail'];
    const clear = await runLdapTool('ldapsearch', args);
    assert.equal(clear.code, 13, clear.stderr);
    assert.match(clear.stderr, /StartTLS or LDAPS/);
    const tls = await runLdapTool('ldapsearch', ['-ZZ', ...args]);
    assert.equal(tls.code, 0, tls.stderr);
    assert.deepEqual(valuesIn(tls.stdout, 'mail'), ['alice@demo.test']);
  } finally {
    await f.stop();
  }
});

test('with ldap.allowAnonymous, searching without a bind works (disabled users still hidden)', async () => {
  const f = await startLdap({ ldap: { allowAnonymous: true } });
  try {
    const r = await runLdapTool('ldapsearch', ['-x', '-LLL', '-H', `ldap://127.0.0.1:${f.port}`, '-b', 'dc=demo,dc=test', '(mail=*)', 'mail']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(valuesIn(r.stdout, 'mail').sort(), ['alfred@demo.test', 'alice@demo.test', 'bob@demo.test', 'sales@demo.test', 'team@demo.test']);
  } finally {
    await f.stop();
  }
});

/** ldapjs's message classes (not in @types/ldapjs), to build raw requests. */
const messages = ldapjs as unknown as {
  ExtendedRequest: new (o: { messageId: number; requestName: string }) => { toBer(): { buffer: Buffer } };
  BindRequest: new (o: { messageId: number; name: string; credentials: string }) => { toBer(): { buffer: Buffer } };
};

/** Reads from a socket until `n` bytes arrived (or 10 s passed). */
function readBytes(socket: Socket | TLSSocket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => { socket.off('data', on); reject(new Error(`only ${got.length} of ${n} bytes: ${got.toString('hex')}`)); }, 10_000);
    const on = (c: Buffer) => {
      got = Buffer.concat([got, c]);
      if (got.length >= n) { clearTimeout(timer); socket.off('data', on); resolve(got); }
    };
    socket.on('data', on);
  });
}

/** The resultCode of a simple LDAPResult-shaped response (BindResponse, ExtendedResponse). */
function resultCode(reply: Buffer): number {
  const at = reply.indexOf(Buffer.from([0x0a, 0x01]));
  return at < 0 ? -1 : reply[at + 2]!;
}

test('requests sent in the same packet as StartTLS are dropped, not run inside TLS (command injection)', async () => {
  const f = await startLdap({ auth: { allowPlaintextOnLoopback: false, maxFailuresPerUser: 1, maxFailuresPerIp: 50, failureWindowSeconds: 300 } });
  const raw = connect({ port: f.port, host: '127.0.0.1' });
  raw.on('error', () => undefined);
  try {
    await new Promise<void>((resolve) => raw.once('connect', () => resolve()));
    const starttls = new messages.ExtendedRequest({ messageId: 1, requestName: '1.3.6.1.4.1.1466.20037' }).toBer().buffer;
    // The injected request: a wrong password for bob, which would throttle him.
    const injected = new messages.BindRequest({ messageId: 2, name: 'uid=bob,ou=people,dc=demo,dc=test', credentials: 'injected' }).toBer().buffer;
    raw.write(Buffer.concat([starttls, injected]));
    const first = await readBytes(raw, 12);
    assert.equal(resultCode(first), 0, `StartTLS accepted: ${first.toString('hex')}`);
    const secure = tlsConnect({ socket: raw, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => { secure.once('secureConnect', () => resolve()); secure.once('error', reject); });
    const bind = new messages.BindRequest({ messageId: 3, name: 'uid=bob,ou=people,dc=demo,dc=test', credentials: 'builder' }).toBer().buffer;
    secure.write(bind);
    // Collect everything the server sends for a while: an injected bind would be
    // answered too (as message 2) once its password check ends.
    const received: Buffer[] = [];
    secure.on('data', (c: Buffer) => received.push(c));
    const deadline = Date.now() + 10_000;
    while (Buffer.concat(received).length < 14 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 2000));
    const reply = Buffer.concat(received);
    assert.equal(reply.length, 14, `exactly one BindResponse over TLS, got ${reply.toString('hex')}`);
    assert.equal(reply[4], 3, 'it answers message 3');
    assert.equal(resultCode(reply), 0);
    secure.destroy();
  } finally {
    raw.destroy();
    await f.stop();
  }
});

test('connections beyond limits.connectionsPerIp are closed at once; a freed slot serves again', async () => {
  const f = await startLdap({ limits: { connectionsPerIp: 2 } });
  const open = async () => {
    const s = connect({ port: f.port, host: '127.0.0.1' });
    s.on('error', () => undefined);
    await new Promise<void>((resolve) => s.once('connect', () => resolve()));
    return s;
  };
  const sockets: Socket[] = [];
  try {
    sockets.push(await open(), await open());
    const third = await open();
    sockets.push(third);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('third connection was not closed')), 10_000);
      third.once('close', () => { clearTimeout(t); resolve(); });
    });
    sockets[0]!.destroy();
    // The server notices the close a moment later; then the slot serves again.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const r = await runLdapTool('ldapsearch', ['-x', '-LLL', '-H', `ldap://127.0.0.1:${f.port}`, '-D', 'bob@demo.test', '-w', 'builder', '-b', 'dc=demo,dc=test', '(uid=alice)', 'mail']);
      if (r.code === 0) break;
      if (Date.now() > deadline) assert.fail(`no slot freed: ${r.stderr}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  } finally {
    for (const s of sockets) s.destroy();
    await f.stop();
  }
});
