// What the service shares between its listeners and hooks: the settings-derived
// policies (relay networks, login throttle, connection limits, memory budget) and the
// per-session facts smtp-server's session object does not carry.
import type { MailContext } from '../../core/context.ts';
import type { SMTPServerSession } from 'smtp-server';
import { parseCidr, inAnyNetwork, isLoopback, normalizeIp, type Cidr } from '../../../lib/cidr.ts';
import { AuthThrottle } from '../policy/auth-throttle.ts';
import { ConnectionLimits } from '../policy/connection-limits.ts';
import type { ClientFacts, ListenerKind } from '../policy/relay.ts';
import { MemoryBudget } from './memory-budget.ts';
import type { DeliveryDeps } from '../../delivery/deliver.ts';
import type { Lookup } from '../../delivery/policy/expand.ts';
import type { Recipient } from '../../directory/directory.ts';
import type { Reply } from '../proto/reply.ts';

export interface SessionInfo {
  readonly listener: ListenerKind;
  readonly ip: string;
  admitted: boolean;
  /**
   * Directory answers of the current transaction (RCPT, then DATA reuses them).
   * Cleared at each MAIL FROM, so a long session never works from stale answers.
   */
  readonly lookups: Map<string, Recipient | null>;
}

export class SmtpShared {
  readonly relayNetworks: Cidr[];
  readonly throttle: AuthThrottle;
  readonly limits: ConnectionLimits;
  readonly budget: MemoryBudget;
  private readonly sessions = new Map<string, SessionInfo>();
  /** Set while the service drains (it is stopping): new connections get this 421. */
  drainReply: Reply | null = null;

  constructor(readonly ctx: MailContext, readonly deps: DeliveryDeps) {
    const s = ctx.settings;
    this.relayNetworks = s.relay.networks.map(parseCidr);
    this.throttle = new AuthThrottle(s.auth);
    this.limits = new ConnectionLimits(s.limits.maxConnections, s.limits.connectionsPerIp);
    // Enough for a few maximum-size messages at once, never less than 256 MiB.
    this.budget = new MemoryBudget(Math.max(256 * 1024 * 1024, 4 * s.limits.messageSizeBytes));
  }

  plaintextAuthAllowed(remoteAddress: string): boolean {
    return this.ctx.settings.auth.allowPlaintextOnLoopback && isLoopback(remoteAddress);
  }

  open(session: SMTPServerSession, listener: ListenerKind): SessionInfo {
    const info: SessionInfo = { listener, ip: normalizeIp(session.remoteAddress), admitted: false, lookups: new Map() };
    this.sessions.set(session.id, info);
    return info;
  }

  info(session: SMTPServerSession): SessionInfo | undefined {
    return this.sessions.get(session.id);
  }

  close(session: SMTPServerSession): void {
    const info = this.sessions.get(session.id);
    if (!info) return;
    this.sessions.delete(session.id);
    if (info.admitted) this.limits.release(info.ip);
  }

  /** directory.resolve, remembered for the current transaction of `session`. */
  lookup(session: SMTPServerSession): Lookup {
    const memo = this.sessions.get(session.id)?.lookups;
    const resolve = (a: string) => this.ctx.directory.resolve(a);
    if (!memo) return resolve;
    return (a) => {
      if (!memo.has(a)) memo.set(a, resolve(a));
      return memo.get(a)!;
    };
  }

  facts(session: SMTPServerSession, listener: ListenerKind): ClientFacts {
    return {
      listener,
      user: typeof session.user === 'string' ? session.user : null,
      inRelayNetwork: inAnyNetwork(this.relayNetworks, session.remoteAddress),
    };
  }
}
