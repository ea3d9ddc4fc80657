// No open relay, ever (DESIGN 3.7): the full matrix of sender (local/remote) x
// recipient (local/remote) x AUTH (none/ok) x client network (relay network or not)
// on the MX port, with the exact reply codes, and where each accepted copy ended up.
// Loopback is NOT trusted implicitly: the "not a relay network" server sees 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, transaction, status, RawClient, type Harness } from './smtp-harness.ts';

let open: Harness;   // relay.networks = 127.0.0.0/8
let closed: Harness; // relay.networks = [] (the client on 127.0.0.1 is just "the internet")

before(async () => {
  [open, closed] = await Promise.all([
    startHarness({ relay: { networks: ['127.0.0.0/8'] } }),
    startHarness({ relay: { networks: [] } }),
  ]);
  for (const h of [open, closed]) {
    h.vol.directory.updateUser('bob@demo.test', {});
    await h.vol.directory.addUser({ address: 'carol@demo.test', password: 'disabled-pw', enabled: false });
  }
});
after(async () => {
  await Promise.all([open.close(), closed.close()]);
});

const SENDER = { local: 'alice@demo.test', remote: 'someone@example.org' } as const;
const RCPT = { local: 'bob@demo.test', remote: 'friend@example.net' } as const;

for (const network of ['relay-network', 'other-network'] as const) {
  for (const auth of ['none', 'ok'] as const) {
    for (const sender of ['local', 'remote'] as const) {
      for (const rcpt of ['local', 'remote'] as const) {
        // The expected outcome, stated as the rule it follows.
        const expected =
          auth === 'ok' && sender === 'remote' ? 'MAIL 553 5.7.1'
            : rcpt === 'remote' && auth === 'none' && network === 'other-network' ? 'RCPT 554 5.7.1'
              : 'DATA 250 2.0.0';
        test(`relay matrix: ${network}, auth ${auth}, ${sender} sender -> ${rcpt} recipient: ${expected}`, async () => {
          const h = network === 'relay-network' ? open : closed;
          const replies = await transaction(h.svc.ports.smtp!, {
            from: SENDER[sender], to: [RCPT[rcpt]],
            ...(auth === 'ok' ? { auth: ['alice@demo.test', 'wonderland'] as [string, string] } : {}),
            body: `Subject: matrix ${network} ${auth} ${sender} ${rcpt}\r\n\r\nbody\r\n`,
          });
          const rest = auth === 'ok' ? replies.slice(2) : replies.slice(1);
          if (auth === 'ok') assert.equal(status(replies[1]!), '235 2.7.0');
          const [stage, code, enh] = expected.split(' ');
          const idx = stage === 'MAIL' ? 0 : stage === 'RCPT' ? 1 : 2;
          assert.equal(status(rest[idx]!), `${code} ${enh}`, `replies: ${JSON.stringify(replies)}`);
          const subject = `matrix ${network} ${auth} ${sender} ${rcpt}`;
          const inInbox = (await h.inbox('bob@demo.test')).some((m) => m.includes(subject));
          const inQueue = (await h.queue()).some((e) => e.recipients.some((r) => r.address === RCPT.remote) && e.sender === SENDER[sender]);
          if (stage !== 'DATA') {
            assert.equal(inInbox, false);
          } else if (rcpt === 'local') {
            assert.equal(inInbox, true, 'delivered to the Maildir');
          } else {
            assert.equal(inQueue, true, 'queued for remote delivery');
          }
        });
      }
    }
  }
}

test('a failed login does not open the relay', async () => {
  const replies = await transaction(closed.svc.ports.smtp!, { from: SENDER.remote, to: [RCPT.remote], auth: ['alice@demo.test', 'wrong'] });
  assert.equal(status(replies[1]!), '535 5.7.8');
  assert.equal(status(replies[3]!), '554 5.7.1');
});

test('unknown local users get 550 5.1.1 and disabled ones 550 5.2.1 at RCPT', async () => {
  const replies = await transaction(closed.svc.ports.smtp!, { from: SENDER.remote, to: ['nobody@demo.test', 'carol@demo.test', 'alice@demo.test'] });
  assert.deepEqual(replies.slice(2, 5).map(status), ['550 5.1.1', '550 5.2.1', '250 2.1.5']);
  assert.match(replies[2]!, /nobody@demo\.test/);
  assert.equal(status(replies[5]!), '250 2.0.0');
});

test('an address-literal recipient is refused (501 5.1.3); a look-alike domain is remote: relay denied', async () => {
  const replies = await transaction(closed.svc.ports.smtp!, { from: SENDER.remote, to: ['alice@[127.0.0.1]', 'alice@demo.test.evil.example'] });
  assert.deepEqual(replies.slice(2, 4).map(status), ['501 5.1.3', '554 5.7.1']);
});

test('RCPT TO:<postmaster> without a domain means the primary domain', async () => {
  closed.vol.directory.addAlias('postmaster@demo.test', ['alice@demo.test']);
  const c = await RawClient.open(closed.svc.ports.smtp!);
  try {
    await c.hello();
    assert.equal(status(await c.cmd('MAIL FROM:<x@example.org>')), '250 2.1.0');
    assert.equal(status(await c.cmd('RCPT TO:<Postmaster>')), '250 2.1.5');
    assert.equal(status(await c.data('Subject: to the postmaster\r\n\r\nhi\r\n')), '250 2.0.0');
  } finally {
    c.end();
  }
  assert.ok((await closed.inbox('alice@demo.test')).some((m) => m.includes('Subject: to the postmaster') && m.includes('Delivered-To: alice@demo.test')));
});

test('DSN parameters (RET, ENVID, NOTIFY, ORCPT) reach the queue entry, and the runner is poked', async () => {
  const before = open.queued.count;
  const c = await RawClient.open(open.svc.ports.smtp!);
  try {
    const ehlo = await c.hello();
    assert.match(ehlo, /250-DSN/);
    assert.equal(status(await c.cmd('MAIL FROM:<someone@example.org> RET=HDRS ENVID=env+2Bid42')), '250 2.1.0');
    assert.equal(status(await c.cmd('RCPT TO:<dsn@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;dsn@example.net')), '250 2.1.5');
    assert.equal(status(await c.data('Subject: dsn\r\n\r\nhi\r\n')), '250 2.0.0');
  } finally {
    c.end();
  }
  const entry = (await open.queue()).find((e) => e.recipients.some((r) => r.address === 'dsn@example.net'));
  assert.ok(entry);
  assert.equal(entry.ret, 'HDRS');
  assert.equal(entry.envid, 'env+id42');
  assert.deepEqual(entry.recipients[0]!.notify, ['SUCCESS', 'FAILURE']);
  assert.equal(entry.recipients[0]!.orcpt, 'rfc822;dsn@example.net');
  assert.ok(open.queued.count > before);
});
