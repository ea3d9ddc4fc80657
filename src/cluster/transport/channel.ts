// The node channel's heartbeat half: signed UDP datagrams to every address of every peer,
// and the table of what each peer last reported and when (our monotonic clock). A peer is
// reachable while an authentic, fresh, non-replayed heartbeat arrived within the timeout.
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { ClusterConfig } from '../model/config-schema.ts';
import type { Clock } from '../arbiter/lease.ts';
import { openDatagram, ReplayGuard, sealDatagram, type ChannelKeys } from './auth.ts';
import type { NodeReport } from './messages.ts';

export const DEFAULT_PORT = 7400;
/** Datagrams above this are not sent (IPv4 UDP payload limit, with room for headers). */
const MAX_DATAGRAM = 60_000;

export function nodePort(config: ClusterConfig, node: string): number {
  return config.nodes.find((n) => n.name === node)?.port ?? DEFAULT_PORT;
}

export interface PeerRecord {
  readonly name: string;
  /** Our clock when the last accepted heartbeat arrived. */
  lastSeenMs: number | null;
  /** Our clock when it last became reachable. */
  upSinceMs: number;
  report: NodeReport | null;
  /** The address its last heartbeat came from (for RPC). */
  address: string | null;
}

export interface ChannelStats {
  accepted: number;
  refused: number;
  lastRefusal: string | null;
}

export class HeartbeatChannel {
  private readonly sockets: Socket[] = [];
  private readonly replay = new ReplayGuard();
  private readonly boot = randomBytes(8).toString('hex');
  private seq = 0;
  readonly peers = new Map<string, PeerRecord>();
  readonly stats: ChannelStats = { accepted: 0, refused: 0, lastRefusal: null };
  /** Called for each accepted report (after the table is updated). */
  onReport: (from: string, report: NodeReport) => void = () => undefined;
  onRefused: (from: string, reason: string) => void = () => undefined;

  constructor(
    private readonly config: ClusterConfig,
    private readonly self: string,
    private readonly keys: ChannelKeys,
    private readonly clock: Clock,
  ) {
    for (const n of config.nodes) if (n.name !== self) this.peers.set(n.name, { name: n.name, lastSeenMs: null, upSinceMs: clock.now(), report: null, address: null });
  }

  /** Binds one UDP socket per address of this node, on its port. */
  async open(): Promise<void> {
    const me = this.config.nodes.find((n) => n.name === this.self);
    if (!me) throw new Error(`node ${this.self} is not in the configuration`);
    const port = me.port ?? DEFAULT_PORT;
    for (const address of me.addresses) {
      const socket = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4', reuseAddr: false });
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(port, address, () => { socket.off('error', reject); resolve(); });
      });
      socket.on('message', (data, rinfo) => this.receive(data, rinfo.address));
      socket.on('error', () => undefined);
      this.sockets.push(socket);
    }
  }

  close(): void {
    for (const s of this.sockets) s.close();
    this.sockets.length = 0;
  }

  isReachable(peer: string, timeoutMs: number): boolean {
    const p = this.peers.get(peer);
    return p !== undefined && p.lastSeenMs !== null && this.clock.now() - p.lastSeenMs <= timeoutMs;
  }

  /** Sends the report to every address of every peer (best effort: UDP). */
  send(report: NodeReport): void {
    const data = sealDatagram(this.keys, { from: this.self, boot: this.boot, seq: ++this.seq, ts: Date.now(), body: report });
    if (data.length > MAX_DATAGRAM) {
      this.onRefused(this.self, `own heartbeat too large (${data.length} bytes); not sent`);
      return;
    }
    const socket = this.sockets[0];
    if (!socket) return;
    for (const n of this.config.nodes) {
      if (n.name === this.self) continue;
      for (const address of n.addresses) {
        const s = this.sockets.find((x) => (x.address().family === 'IPv6') === isIPv6(address)) ?? socket;
        s.send(data, n.port ?? DEFAULT_PORT, address, () => undefined);
      }
    }
  }

  /** Exposed for tests of the refusal paths (forged, replayed). */
  receive(data: Buffer, fromAddress: string): void {
    const opened = openDatagram(this.keys, data);
    if (!opened.ok) return this.refuse(fromAddress, opened.reason);
    const env = opened.env;
    const peer = this.peers.get(env.from);
    if (!peer) return this.refuse(fromAddress, `unknown node ${JSON.stringify(env.from)}`);
    if (!isReport(env.body)) return this.refuse(env.from, 'malformed report (another Tandem version?)');
    const fresh = this.replay.check(env);
    if (!fresh.ok) return this.refuse(env.from, fresh.reason);
    const now = this.clock.now();
    // Only the node's own addresses count: a signed datagram relayed from elsewhere is still
    // authentic, but RPC must go to where the node really is.
    const known = this.config.nodes.find((n) => n.name === env.from)?.addresses ?? [];
    peer.address = known.includes(fromAddress) ? fromAddress : known[0] ?? null;
    peer.report = env.body as NodeReport;
    peer.lastSeenMs = now;
    this.stats.accepted++;
    this.onReport(env.from, peer.report);
  }

  /** Marks when peers became reachable; call once per cycle, before reading upSinceMs. */
  refresh(timeoutMs: number, wasReachable: Map<string, boolean>): void {
    for (const p of this.peers.values()) {
      const now = this.isReachable(p.name, timeoutMs);
      if (now && !wasReachable.get(p.name)) p.upSinceMs = p.lastSeenMs ?? this.clock.now();
      wasReachable.set(p.name, now);
    }
  }

  private refuse(from: string, reason: string): void {
    this.stats.refused++;
    this.stats.lastRefusal = `${from}: ${reason}`;
    this.onRefused(from, reason);
  }
}

/** The shape the view builder relies on; a signed but malformed report is refused, not trusted. */
function isReport(b: unknown): b is NodeReport {
  if (typeof b !== 'object' || b === null) return false;
  const r = b as Record<string, unknown>;
  const obj = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);
  return typeof r.configHash === 'string' && typeof r.stopped === 'boolean' && typeof r.maintenance === 'boolean'
    && Array.isArray(r.failingMonitors) && Array.isArray(r.hears) && obj(r.operator) && obj(r.groups)
    && Object.values(r.groups as Record<string, unknown>).every((g) => obj(g) && obj((g as Record<string, unknown>).resources) && Array.isArray((g as Record<string, unknown>).failures));
}
