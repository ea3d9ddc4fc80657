// The ldap service (`tandem mail serve ldap`): a read-only LDAPv3 address book over the
// account directory. A cleartext listener with StartTLS (389 style) and an LDAPS
// listener (636 style), connection limits, binds as mail users, searches with limits.
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, type SecureContext } from 'node:tls';
import type { MailContext, RunningService } from '../core/context.ts';
import { listen, closeServer, ConnectionLimiter } from '../serve/listeners.ts';
import { normalizeIp } from '../../lib/cidr.ts';
import { LoginThrottle } from '../../lib/login-throttle.ts';
import { simpleBind } from './bind.ts';
import { createLdapProtocol, type LdapConnection, type LdapHandlers } from './server/backend.ts';
import { ResultCode, runSearch } from './search.ts';
import { buildEntries, rootDse } from './tree.ts';
import type { Entry } from './entry.ts';

const SNAPSHOT_TTL_MS = 2000;

export interface LdapService extends RunningService {
  readonly ports: { ldap?: number; ldaps?: number };
}

function isLoopback(ip: string): boolean {
  const a = normalizeIp(ip);
  return a.startsWith('127.') || a === '::1';
}

export async function startLdapService(ctx: MailContext): Promise<LdapService> {
  const { settings, log, directory } = ctx;
  const limits = settings.limits;
  let tls: SecureContext | null = null;
  try {
    tls = createSecureContext({ cert: ctx.tls.cert, key: ctx.tls.key });
  } catch (e) {
    log.error({ event: 'ldap.tls.unusable', error: (e as Error).message });
  }
  const throttle = new LoginThrottle({
    maxFailuresPerIp: settings.auth.maxFailuresPerIp,
    maxFailuresPerUser: settings.auth.maxFailuresPerUser,
    windowMs: settings.auth.failureWindowSeconds * 1000,
  });
  const mayUsePlaintext = (conn: LdapConnection) => conn.secure || (settings.auth.allowPlaintextOnLoopback && isLoopback(conn.remoteAddress));

  // Address-book clients search on every keystroke; the tree is rebuilt from the
  // directory at most every SNAPSHOT_TTL_MS, so account changes show within that time.
  let view: { at: number; dse: Entry; entries: Entry[] } | null = null;
  const directoryView = () => {
    const now = Date.now();
    if (view && now - view.at < SNAPSHOT_TTL_MS && now >= view.at) return view;
    const domains = directory.listDomains();
    view = {
      at: now,
      dse: rootDse(domains),
      entries: buildEntries({ domains, users: directory.listUsers(), aliases: directory.listAliases(), lists: directory.listLists() }),
    };
    return view;
  };

  const handlers: LdapHandlers = {
    async bind(conn, name, password) {
      if (!(name === '' && password === '') && !mayUsePlaintext(conn)) {
        log.info({ event: 'ldap.bind.refused', conn: conn.id, reason: 'cleartext' });
        return { result: { code: ResultCode.confidentialityRequired, message: 'use StartTLS or LDAPS before sending a password' } };
      }
      const outcome = await simpleBind({ authenticate: (a, p) => directory.authenticate(a, p), throttle }, normalizeIp(conn.remoteAddress), name, password);
      switch (outcome.kind) {
        case 'anonymous':
          return { result: outcome.result, boundAs: null };
        case 'user':
          log.info({ event: 'ldap.bind', conn: conn.id, user: outcome.user.address });
          return { result: outcome.result, boundAs: outcome.user.address };
        case 'refused':
          log.info({ event: 'ldap.bind.failed', conn: conn.id, name, reason: outcome.reason });
          return { result: outcome.result };
      }
    },
    async search(conn, req) {
      const isRootDse = req.scope === 'base' && req.baseDn.trim() === '';
      if (!isRootDse && !conn.boundAs && !settings.ldap.allowAnonymous) {
        log.info({ event: 'ldap.search.refused', conn: conn.id, reason: 'anonymous' });
        return { entries: [], result: { code: ResultCode.insufficientAccessRights, message: 'bind as a mail user first (anonymous searches are off)' } };
      }
      const view = directoryView();
      const outcome = runSearch(req, view.dse, view.entries, settings.ldap, Date.now);
      log.debug({ event: 'ldap.search', conn: conn.id, base: req.baseDn, scope: req.scope, found: outcome.entries.length, code: outcome.result.code });
      return outcome;
    },
    refused(conn, operation) {
      log.info({ event: 'ldap.write.refused', conn: conn.id, operation });
    },
    problem(conn, what, error) {
      log.warn({ event: 'ldap.problem', conn: conn?.id, what, error });
    },
  };
  // A search request is small; 256 KiB leaves room for huge filters and stops a client
  // that announces a gigabyte from making us buffer it.
  const protocol = createLdapProtocol(handlers, { tls, maxRequestBytes: 256 * 1024 });

  const limiter = new ConnectionLimiter(limits);
  const admit = (socket: Socket): string | null => limiter.admit(socket);
  function start(socket: Socket, secure: boolean): void {
    socket.on('error', () => undefined);
    // A search answer is several small writes (entries, then the result): without this,
    // Nagle's algorithm and the client's delayed ACK add ~40 ms to every search.
    socket.setNoDelay(true);
    socket.setTimeout(limits.idleTimeoutSeconds * 1000);
    try {
      protocol.accept(socket, secure);
    } catch (e) {
      log.warn({ event: 'ldap.problem', what: 'accept', error: (e as Error).message });
      socket.destroy();
    }
  }

  const listening: string[] = [];
  const servers: Server[] = [];
  const ports: { ldap?: number; ldaps?: number } = {};
  const host = settings.listen.address;
  if (settings.listen.ldap.port !== null) {
    const plain = createServer((socket) => {
      const refusal = admit(socket);
      if (refusal) {
        // LDAP has no greeting to carry a reason (a Notice of Disconnection needs a
        // request to answer); the refusal is logged and the connection closed.
        log.warn({ event: 'ldap.connection.refused', ip: socket.remoteAddress, reason: refusal });
        socket.destroy();
        return;
      }
      start(socket, false);
    });
    ports.ldap = await listen(plain, settings.listen.ldap.port, host);
    servers.push(plain);
    listening.push(`${host}:${ports.ldap}`);
  }
  if (settings.listen.ldaps.port !== null && tls) {
    const secure = createTlsServer({ cert: ctx.tls.cert, key: ctx.tls.key, handshakeTimeout: 30_000 });
    secure.on('connection', (socket: Socket) => {
      const refusal = admit(socket);
      if (refusal) {
        log.warn({ event: 'ldap.connection.refused', ip: socket.remoteAddress, reason: refusal });
        socket.destroy();
      }
    });
    secure.on('secureConnection', (socket) => start(socket, true));
    secure.on('tlsClientError', (e) => log.info({ event: 'ldap.tls.handshake-failed', error: e.message }));
    ports.ldaps = await listen(secure, settings.listen.ldaps.port, host);
    servers.push(secure);
    listening.push(`${host}:${ports.ldaps}`);
  }
  log.info({ event: 'ldap.listening', listening });

  return {
    name: 'ldap',
    listening,
    ports,
    async close() {
      limiter.shutDown();
      const stopped = Promise.all(servers.map(closeServer));
      // Searches answer from memory in one go; nothing is in flight worth waiting for.
      limiter.destroyAll();
      await stopped;
      log.info({ event: 'ldap.closed' });
    },
  };
}
