// What every TCP mail service (POP3, IMAP, LDAP, password) needs around its listeners:
// binding with the real port reported (port 0 in tests), closing, and the connection
// limits of cfg/mail.yaml (limits.maxConnections, limits.connectionsPerIp), counted per
// TCP connection before any TLS or protocol work is spent on it.
import type { Server, Socket } from 'node:net';
import { normalizeIp } from '../../lib/cidr.ts';

/** Binds `server`; resolves with the port it got (the real one when `port` is 0). */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

/** Stops accepting; resolves once the server has closed (open connections are the caller's). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export interface ConnectionLimits {
  readonly maxConnections: number;
  readonly connectionsPerIp: number;
}

/** Admits connections within the limits and keeps the open ones, for shutdown. */
export class ConnectionLimiter {
  private readonly open = new Set<Socket>();
  private readonly perIp = new Map<string, number>();
  private closing = false;

  constructor(private readonly limits: ConnectionLimits) {}

  /**
   * Counts `socket` and returns null, or returns why it is refused (without a trailing
   * "try again later": each protocol words its refusal its own way).
   */
  admit(socket: Socket): string | null {
    const ip = normalizeIp(socket.remoteAddress ?? 'unknown');
    const count = this.perIp.get(ip) ?? 0;
    if (this.closing) return 'server shutting down';
    if (this.open.size >= this.limits.maxConnections) return `too many connections (limit ${this.limits.maxConnections})`;
    if (count >= this.limits.connectionsPerIp) return `too many connections from ${ip} (limit ${this.limits.connectionsPerIp})`;
    this.open.add(socket);
    this.perIp.set(ip, count + 1);
    socket.once('close', () => {
      this.open.delete(socket);
      const left = (this.perIp.get(ip) ?? 1) - 1;
      if (left <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, left);
    });
    return null;
  }

  /** From now on every new connection is refused (the service is stopping). */
  shutDown(): void {
    this.closing = true;
  }

  /** Cuts every connection still open (after the service's grace period). */
  destroyAll(): void {
    for (const socket of this.open) socket.destroy();
  }
}
