// IPv4/IPv6 network matching for relay networks and access lists. Pure.
import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr { readonly family: 4 | 6; readonly bits: bigint; readonly prefix: number; readonly text: string }

function ipv4ToBigint(ip: string): bigint {
  return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6ToBigint(ip: string): bigint {
  let addr = ip;
  let tail: bigint | null = null;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(addr);
  if (v4?.[1]) {
    tail = ipv4ToBigint(v4[1]);
    addr = addr.slice(0, -v4[1].length) + '0:0';
  }
  const [head = '', rest] = addr.split('::');
  const h = head ? head.split(':') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const fill = rest !== undefined ? 8 - h.length - r.length : 0;
  const groups = [...h, ...Array<string>(fill).fill('0'), ...r];
  let value = groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
  if (tail !== null) value = (value & ~0xffffffffn) | tail;
  return value;
}

/** Normalises an address: IPv4-mapped IPv6 (::ffff:1.2.3.4) becomes plain IPv4. */
export function normalizeIp(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m?.[1] ?? ip;
}

/**
 * Parses "a.b.c.d/n", "x::/n" or a bare address; throws with a reason on bad input.
 * Strict on purpose: a truncated "10.0.0.0/" must not quietly become /0 (anyone
 * could relay). IPv4-mapped networks (::ffff:a.b.c.d/n) become IPv4 networks, as
 * clients' addresses are normalised the same way.
 */
export function parseCidr(text: string): Cidr {
  const parts = text.trim().split('/');
  if (parts.length > 2) throw new Error(`"${text}": prefix length must be a single number after one "/"`);
  const [rawIp = '', prefixText] = parts;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(rawIp);
  const ip = mapped?.[1] ?? rawIp;
  const family = isIPv4(ip) ? 4 : isIPv6(ip) ? 6 : 0;
  if (family === 0) throw new Error(`"${text}" is not an IP network (expected a.b.c.d/n or an IPv6 prefix)`);
  const width = family === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) {
    throw new Error(`"${text}": prefix length must be 0..${mapped ? 128 : width}`);
  }
  let prefix = prefixText === undefined ? width : Number(prefixText);
  if (mapped && prefixText !== undefined) {
    if (prefix < 96 || prefix > 128) throw new Error(`"${text}": prefix length of an IPv4-mapped network must be 96..128`);
    prefix -= 96;
  }
  if (prefix < 0 || prefix > width) {
    throw new Error(`"${text}": prefix length must be 0..${width}`);
  }
  const value = family === 4 ? ipv4ToBigint(ip) : ipv6ToBigint(ip);
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(width - prefix);
  return { family, bits: value & mask, prefix, text };
}

/** True when `ip` lies inside `net`. */
export function cidrContains(net: Cidr, ip: string): boolean {
  const addr = normalizeIp(ip);
  const family = isIPv4(addr) ? 4 : isIPv6(addr) ? 6 : 0;
  if (family !== net.family) return false;
  const width = family === 4 ? 32 : 128;
  const value = family === 4 ? ipv4ToBigint(addr) : ipv6ToBigint(addr);
  const mask = net.prefix === 0 ? 0n : ((1n << BigInt(net.prefix)) - 1n) << BigInt(width - net.prefix);
  return (value & mask) === net.bits;
}

export function inAnyNetwork(nets: readonly Cidr[], ip: string): boolean {
  return nets.some((n) => cidrContains(n, ip));
}

export function isLoopback(ip: string): boolean {
  const addr = normalizeIp(ip);
  return addr === '::1' || addr.startsWith('127.');
}
