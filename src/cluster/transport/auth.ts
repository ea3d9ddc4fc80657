// Authentication of everything on the node channel and the node API: HMAC-SHA256 over the
// cluster secret, with a freshness window and a replay guard. Messages that fail any check
// are dropped (datagrams) or refused with 401 (HTTP); the secret itself never travels.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How far a sender's wall clock may be from ours before its messages count as stale or forged. */
export const FRESHNESS_MS = 30_000;

/** Keys for separate purposes, so a datagram signature can never pass as an HTTP one. */
export interface ChannelKeys {
  readonly datagram: Buffer;
  readonly request: Buffer;
  /** Bearer token for local tools and the web console (derived; revealing it does not reveal the secret). */
  readonly bearer: string;
}

export function deriveKeys(cluster: string, secret: string): ChannelKeys {
  const derive = (purpose: string): Buffer => createHmac('sha256', secret).update(`tandem/${cluster}/${purpose}`).digest();
  return { datagram: derive('datagram'), request: derive('request'), bearer: derive('bearer').toString('base64url') };
}

export function hmac(key: Buffer, text: string | Buffer): string {
  return createHmac('sha256', key).update(text).digest('base64url');
}

export function sameMac(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function newNonce(): string {
  return randomBytes(12).toString('base64url');
}

export function bodyDigest(body: string | Buffer): string {
  return createHash('sha256').update(body).digest('base64url');
}

/** The string an HTTP request signature covers: everything that changes what it does. */
export function requestSigningText(method: string, url: string, node: string, ts: number, nonce: string, body: string | Buffer): string {
  return [method.toUpperCase(), url, node, String(ts), nonce, bodyDigest(body)].join('\n');
}

/** Headers of a signed request. `node` is the sender's name ("cli" for the command line). */
export function signRequest(keys: ChannelKeys, method: string, url: string, node: string, body: string, nowWall = Date.now()): Record<string, string> {
  const nonce = newNonce();
  return {
    'x-tandem-node': node,
    'x-tandem-ts': String(nowWall),
    'x-tandem-nonce': nonce,
    'x-tandem-signature': hmac(keys.request, requestSigningText(method, url, node, nowWall, nonce, body)),
  };
}

export type Verdict = { ok: true } | { ok: false; reason: string };

/**
 * Remembers the nonces of accepted requests for the freshness window, so a captured
 * request cannot be sent again. Bounded: past `max` entries it refuses new ones (a flood of
 * validly signed requests needs the secret, and then the attacker has won anyway).
 */
export class NonceCache {
  private readonly seen = new Map<string, number>();
  constructor(private readonly max = 100_000) {}

  /** True when the nonce is new (and now remembered). */
  admit(nonce: string, nowWall: number): boolean {
    if (this.seen.size >= this.max / 2) {
      for (const [n, at] of this.seen) if (nowWall - at > 2 * FRESHNESS_MS) this.seen.delete(n);
    }
    if (this.seen.has(nonce) || this.seen.size >= this.max) return false;
    this.seen.set(nonce, nowWall);
    return true;
  }
}

/**
 * Checks a request's signature (or bearer token, when `allowBearer`: the API allows it only
 * from this host, since plain HTTP would let anyone on the path reuse it).
 */
export function verifyRequest(keys: ChannelKeys, nonces: NonceCache, method: string, url: string,
  headers: Record<string, string | string[] | undefined>, body: string | Buffer, nowWall = Date.now(), allowBearer = true): Verdict {
  const h = (name: string): string | undefined => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const auth = h('authorization');
  if (auth !== undefined && auth.startsWith('Bearer ')) {
    if (!allowBearer) return { ok: false, reason: 'bearer tokens are accepted only from this host; sign the request' };
    return sameMac(auth.slice(7).trim(), keys.bearer) ? { ok: true } : { ok: false, reason: 'bad bearer token' };
  }
  const node = h('x-tandem-node');
  const tsText = h('x-tandem-ts');
  const nonce = h('x-tandem-nonce');
  const sig = h('x-tandem-signature');
  if (!node || !tsText || !nonce || !sig) return { ok: false, reason: 'not signed (x-tandem-node, -ts, -nonce and -signature, or a bearer token, are required)' };
  const ts = Number(tsText);
  if (!Number.isFinite(ts) || Math.abs(nowWall - ts) > FRESHNESS_MS) return { ok: false, reason: `stale or future timestamp (clock difference over ${FRESHNESS_MS / 1000} s)` };
  if (!sameMac(sig, hmac(keys.request, requestSigningText(method, url, node, ts, nonce, body)))) return { ok: false, reason: 'bad signature' };
  if (!nonces.admit(`${node}/${nonce}`, nowWall)) return { ok: false, reason: 'replayed request' };
  return { ok: true };
}

/** A signed datagram: the JSON payload and its MAC, on one line. */
export interface Envelope {
  readonly from: string;
  /** Random per daemon start; with `seq` it orders the sender's messages. */
  readonly boot: string;
  readonly seq: number;
  /** Sender's wall clock, only for the freshness window of a new boot. */
  readonly ts: number;
  readonly body: unknown;
}

export function sealDatagram(keys: ChannelKeys, env: Envelope): Buffer {
  const payload = JSON.stringify(env);
  return Buffer.from(`${hmac(keys.datagram, payload)} ${payload}`);
}

/** Parses and authenticates a datagram; the replay check is the caller's (ReplayGuard). */
export function openDatagram(keys: ChannelKeys, data: Buffer): { ok: true; env: Envelope } | { ok: false; reason: string } {
  const text = data.toString('utf8');
  const space = text.indexOf(' ');
  if (space <= 0) return { ok: false, reason: 'malformed datagram' };
  const mac = text.slice(0, space);
  const payload = text.slice(space + 1);
  if (!sameMac(mac, hmac(keys.datagram, payload))) return { ok: false, reason: 'bad signature' };
  let env: Envelope;
  try {
    env = JSON.parse(payload) as Envelope;
  } catch {
    return { ok: false, reason: 'malformed payload' };
  }
  if (typeof env.from !== 'string' || typeof env.boot !== 'string' || !Number.isSafeInteger(env.seq) || typeof env.ts !== 'number') {
    return { ok: false, reason: 'malformed envelope' };
  }
  return { ok: true, env };
}

/**
 * Refuses replays of authentic datagrams: per sender, the sequence must grow within one
 * boot; a new boot is accepted only when its timestamp is fresh and newer than anything
 * accepted from that sender before (so an old boot's captured messages stay dead).
 */
export class ReplayGuard {
  private readonly last = new Map<string, { boot: string; seq: number; ts: number }>();

  check(env: Envelope, nowWall = Date.now()): Verdict {
    const prev = this.last.get(env.from);
    if (prev && prev.boot === env.boot) {
      if (env.seq <= prev.seq) return { ok: false, reason: `replayed or reordered (seq ${env.seq} <= ${prev.seq})` };
    } else {
      if (Math.abs(nowWall - env.ts) > FRESHNESS_MS) return { ok: false, reason: 'stale timestamp from a new boot' };
      if (prev && env.ts <= prev.ts) return { ok: false, reason: 'message from an older boot' };
    }
    this.last.set(env.from, { boot: env.boot, seq: env.seq, ts: Math.max(env.ts, prev?.ts ?? 0) });
    return { ok: true };
  }
}
