// Network matching for relay networks: an error here makes an open relay, so every
// form an operator may write (IPv4, IPv6, IPv4-mapped, bare hosts) is in a table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr, cidrContains, inAnyNetwork, isLoopback, normalizeIp } from './cidr.ts';

test('cidrContains() matches IPv4, IPv6 and IPv4-mapped client addresses', () => {
  const cases: Array<[string, string, boolean]> = [
    ['10.0.0.0/8', '10.1.2.3', true],
    ['10.0.0.0/8', '10.255.255.255', true],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['10.0.0.0/8', '9.255.255.255', false],
    ['192.168.1.0/24', '192.168.1.77', true],
    ['192.168.1.0/24', '192.168.2.1', false],
    ['192.168.1.10/24', '192.168.1.200', true], // host bits in the network are ignored
    ['192.0.2.5', '192.0.2.5', true], // a bare address is a /32
    ['192.0.2.5', '192.0.2.6', false],
    ['192.0.2.5/32', '192.0.2.5', true],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['10.0.0.0/8', '::ffff:10.1.2.3', true], // how dual-stack sockets report IPv4 clients
    ['10.0.0.0/8', '::FFFF:10.1.2.3', true],
    ['10.0.0.0/8', '::ffff:11.1.2.3', false],
    ['2001:db8::/32', '2001:db8::1', true],
    ['2001:db8::/32', '2001:0db8:0000:0000:0000:0000:0000:0001', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['2001:db8:abcd::/48', '2001:db8:abcd:12::1', true],
    ['2001:db8:abcd::/48', '2001:db8:abce::1', false],
    ['::1', '::1', true],
    ['::1/128', '::2', false],
    ['fe80::/10', 'febf::1', true],
    ['fe80::/10', 'fec0::1', false],
    ['::/0', '2001:db8::1', true],
    ['::/0', '10.1.2.3', false], // families never mix: ::/0 is not "everything"
    ['0.0.0.0/0', '2001:db8::1', false],
    ['10.0.0.0/8', 'not-an-ip', false],
    ['10.0.0.0/8', '', false],
  ];
  for (const [net, ip, inside] of cases) assert.equal(cidrContains(parseCidr(net), ip), inside, `${ip} in ${net}`);
});

test('parseCidr() normalises the network and keeps the text for messages', () => {
  const cases: Array<[string, 4 | 6, number, bigint]> = [
    ['10.1.2.3/8', 4, 8, 0x0a000000n],
    ['192.0.2.1', 4, 32, 0xc0000201n],
    [' 172.16.0.0/12 ', 4, 12, 0xac100000n],
    ['2001:db8::/32', 6, 32, 0x20010db8n << 96n],
    ['::', 6, 128, 0n],
    // IPv4-mapped networks are IPv4 networks, as client addresses are normalised too.
    ['::ffff:192.0.2.1', 4, 32, 0xc0000201n],
  ];
  for (const [text, family, prefix, bits] of cases) {
    const c = parseCidr(text);
    assert.deepEqual([c.family, c.prefix, c.bits, c.text], [family, prefix, bits, text], text);
  }
});

test('parseCidr() rejects bad networks with a message naming them', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /is not an IP network/],
    ['bogus', /"bogus" is not an IP network/],
    ['10.0.0', /is not an IP network/],
    ['256.0.0.0/8', /is not an IP network/],
    ['10.0.0.0/33', /prefix length must be 0\.\.32/],
    ['10.0.0.0/-1', /prefix length must be 0\.\.32/],
    ['10.0.0.0/8.5', /prefix length must be 0\.\.32/],
    ['10.0.0.0/abc', /prefix length must be 0\.\.32/],
    ['2001:db8::/129', /prefix length must be 0\.\.128/],
    ['2001:db8:::/32', /is not an IP network/],
    ['example.com/24', /is not an IP network/],
  ];
  for (const [text, message] of cases) assert.throws(() => parseCidr(text), message, JSON.stringify(text));
});

// Sloppy prefixes must be errors. The dangerous one:
// "10.0.0.0/" (a truncated line in mail.yaml) becomes /0 and lets anyone relay.
const SLOPPY_PREFIXES = ['10.0.0.0/', '10.0.0.0/8/9', '10.0.0.0/0x8', '10.0.0.0/1e1', '10.0.0.0/ 8'];
test('parseCidr() rejects an empty or malformed prefix length instead of reading it as a number', () => {
  for (const text of SLOPPY_PREFIXES) assert.throws(() => parseCidr(text), /prefix length/, JSON.stringify(text));
});

test('a network written in IPv4-mapped form matches IPv4 clients', () => {
  assert.equal(cidrContains(parseCidr('::ffff:10.0.0.0/104'), '10.1.2.3'), true);
  assert.equal(cidrContains(parseCidr('::ffff:10.0.0.0/104'), '::ffff:10.1.2.3'), true);
});

test('inAnyNetwork(), isLoopback() and normalizeIp() for the relay decision', () => {
  const nets = ['192.168.0.0/16', '2001:db8::/32'].map(parseCidr);
  const cases: Array<[string, boolean]> = [['192.168.7.7', true], ['::ffff:192.168.7.7', true], ['2001:db8::9', true], ['127.0.0.1', false], ['8.8.8.8', false]];
  for (const [ip, inside] of cases) assert.equal(inAnyNetwork(nets, ip), inside, ip);
  assert.equal(inAnyNetwork([], '127.0.0.1'), false, 'no networks: nobody relays without authentication');

  const loopback: Array<[string, boolean]> = [['127.0.0.1', true], ['127.1.2.3', true], ['::1', true], ['::ffff:127.0.0.1', true], ['128.0.0.1', false], ['::2', false], ['10.0.0.1', false]];
  for (const [ip, yes] of loopback) assert.equal(isLoopback(ip), yes, ip);

  assert.equal(normalizeIp('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(normalizeIp('::FFFF:192.0.2.1'), '192.0.2.1');
  assert.equal(normalizeIp('2001:db8::1'), '2001:db8::1');
  assert.equal(normalizeIp('192.0.2.1'), '192.0.2.1');
});
