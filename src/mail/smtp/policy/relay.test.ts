// Tables for the relay and sender decisions: the no-open-relay rule in its pure form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideRecipient, decideSender, type ClientFacts } from './relay.ts';
import type { Recipient, User } from '../../directory/directory.ts';

const alice: User = { address: 'alice@d.test', local: 'alice', domain: 'd.test', displayName: '', quotaBytes: 0, enabled: true, createdAt: 0, updatedAt: 0 };
const R: Record<string, Recipient | null> = {
  user: { kind: 'user', address: 'alice@d.test', user: alice },
  disabled: { kind: 'user', address: 'carol@d.test', user: { ...alice, address: 'carol@d.test', enabled: false } },
  alias: { kind: 'alias', address: 'info@d.test', alias: { address: 'info@d.test', targets: ['x@y.test'] } },
  unknown: { kind: 'unknown-local', address: 'nobody@d.test' },
  remote: { kind: 'remote', address: 'x@remote.test' },
  invalid: null,
};
const anon: ClientFacts = { listener: 'smtp', user: null, inRelayNetwork: false };
const authed: ClientFacts = { listener: 'smtp', user: 'alice@d.test', inRelayNetwork: false };
const relayNet: ClientFacts = { listener: 'smtp', user: null, inRelayNetwork: true };

const RCPT: Array<[string, ClientFacts, string]> = [
  ['user', anon, 'local'], ['alias', anon, 'local'], ['remote', anon, '554 5.7.1'], ['remote', authed, 'remote'],
  ['remote', relayNet, 'remote'], ['unknown', anon, '550 5.1.1'], ['unknown', authed, '550 5.1.1'],
  ['disabled', anon, '550 5.2.1'], ['invalid', anon, '501 5.1.3'],
];
for (const [kind, facts, want] of RCPT) {
  test(`decideRecipient(): ${kind} recipient, ${facts.user ? 'authenticated' : facts.inRelayNetwork ? 'relay network' : 'anonymous'} -> ${want}`, () => {
    const v = decideRecipient(facts, 'addr', R[kind]!);
    assert.equal(v.ok ? v.route : `${v.reply.code} ${v.reply.enhanced}`, want);
  });
}

const SENDERS = ['alice@d.test', 'info@d.test'];
const MAIL: Array<[string, ClientFacts, string, string]> = [
  ['anonymous MX client, any sender', anon, 'x@remote.test', 'ok'],
  ['anonymous MX client, null sender', anon, '', 'ok'],
  ['anonymous on submission', { ...anon, listener: 'submission' }, 'alice@d.test', '530 5.7.0'],
  ['user, own address', authed, 'alice@d.test', 'ok'],
  ['user, own address in capitals with a sub-address', authed, 'Alice+lists@D.test', 'ok'],
  ['user, alias that reaches it', authed, 'info@d.test', 'ok'],
  ['user, someone else', authed, 'bob@d.test', '553 5.7.1'],
  ['user, null sender', authed, '', '553 5.7.1'],
  ['malformed sender', anon, 'not an address', '501 5.1.7'],
];
for (const [name, facts, sender, want] of MAIL) {
  test(`decideSender(): ${name} -> ${want}`, () => {
    const r = decideSender(facts, sender, SENDERS);
    assert.equal(r ? `${r.code} ${r.enhanced}` : 'ok', want);
  });
}
