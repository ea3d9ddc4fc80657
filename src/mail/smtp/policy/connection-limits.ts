// Admission of new connections (DESIGN 3.6): a total limit across all SMTP listeners
// and a per-client-IP limit. Over either, the client gets 421 and is disconnected.
import { REPLIES, type Reply } from '../proto/reply.ts';

export class ConnectionLimits {
  private readonly perIp = new Map<string, number>();
  private total = 0;

  constructor(private readonly maxConnections: number, private readonly connectionsPerIp: number) {}

  /** Admits a connection (and counts it) or returns the 421 to refuse it with. */
  admit(ip: string): Reply | null {
    if (this.total >= this.maxConnections) return REPLIES.tooManyConnections(this.maxConnections);
    const n = this.perIp.get(ip) ?? 0;
    if (n >= this.connectionsPerIp) return REPLIES.tooManyConnectionsFromIp(this.connectionsPerIp);
    this.perIp.set(ip, n + 1);
    this.total++;
    return null;
  }

  /** Forgets an admitted connection. */
  release(ip: string): void {
    const n = this.perIp.get(ip);
    if (n === undefined) return;
    if (n <= 1) this.perIp.delete(ip);
    else this.perIp.set(ip, n - 1);
    this.total--;
  }

  get active(): number {
    return this.total;
  }
}
