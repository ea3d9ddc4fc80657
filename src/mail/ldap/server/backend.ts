// The only file that knows ldapjs (archived upstream): it turns the library's requests
// into our plain types and our answers back into LDAP messages. Replace this file to
// change libraries; the directory logic (dn, entry, filter, tree, search) never sees it.
// It also adds what ldapjs's server lacks: StartTLS (RFC 4511 section 4.14), bind by
// a plain mail address, and our own listeners (so limits apply before any LDAP work).
import { createRequire } from 'node:module';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Socket } from 'node:net';
import type { Filter } from '../filter.ts';
import type { EntryView } from '../entry.ts';
import { ResultCode, type LdapResult, type Scope } from '../search.ts';
import { STARTTLS_OID, WHOAMI_OID } from '../tree.ts';

const require = createRequire(import.meta.url);
// ldapjs is CommonJS without current types; we describe the little we use below.
const ldap = require('ldapjs') as LdapjsModule;

/** What a handler knows about the connection a request came on. */
export interface LdapConnection {
  readonly id: string;
  readonly remoteAddress: string;
  readonly secure: boolean;
  /** The mail address bound as, or null for anonymous. */
  readonly boundAs: string | null;
}

export interface SearchRequestData {
  readonly baseDn: string;
  readonly scope: Scope;
  readonly filter: Filter;
  readonly attributes: string[];
  readonly typesOnly: boolean;
  readonly sizeLimit: number;
  readonly timeLimitSeconds: number;
}

/** The behaviour behind the protocol; service.ts implements it over the directory. */
export interface LdapHandlers {
  bind(conn: LdapConnection, name: string, password: string): Promise<{ result: LdapResult; boundAs?: string | null }>;
  search(conn: LdapConnection, req: SearchRequestData): Promise<{ entries: EntryView[]; result: LdapResult }>;
  /** A write or other refused operation, for the log. */
  refused(conn: LdapConnection, operation: string): void;
  /** A request the library could not decode, or an internal error, for the log. */
  problem(conn: LdapConnection | null, what: string, error: string): void;
}

export interface LdapProtocolOptions {
  /** For StartTLS; null: StartTLS answers unavailable. */
  readonly tls: SecureContext | null;
  /** Largest request accepted; ldapjs buffers a request whole, so more is cut (memory bound). */
  readonly maxRequestBytes: number;
}

/** Hands accepted sockets to the LDAP protocol engine. */
export interface LdapProtocol {
  /** Starts LDAP on a socket; `secure` for implicit TLS (ldaps) sockets. */
  accept(socket: Socket, secure: boolean): void;
}

interface ConnState { id: string; remoteAddress: string; secure: boolean; boundAs: string | null; closed?: boolean }

const BIND_BY_ADDRESS_PLACEHOLDER = 'cn=bind-by-mail-address';

export function createLdapProtocol(handlers: LdapHandlers, options: LdapProtocolOptions): LdapProtocol {
  const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, child() { return silent; } };
  const server = ldap.createServer({ log: silent });
  const states = new WeakMap<object, ConnState>();
  // ldapjs reports undecodable requests here; without a listener EventEmitter would throw.
  server.on('error', (e: Error) => handlers.problem(null, 'decode', e.message));
  server.on('clientError', () => undefined);

  const stateOf = (req: LdapjsRequest): ConnState => states.get(req.connection) ?? { id: 'unknown', remoteAddress: '', secure: false, boundAs: null };
  const view = (s: ConnState): LdapConnection => ({ id: s.id, remoteAddress: s.remoteAddress, secure: s.secure, boundAs: s.boundAs });
  const finish = (res: LdapjsResponse, r: LdapResult) => {
    res.status = r.code;
    res.diagnosticMessage = r.message;
    if (r.matchedDn !== undefined) res.matchedDN = r.matchedDn;
    res.end();
  };
  /** Runs a handler; a bug answers operationsError (the session survives) instead of crashing. */
  const guarded = (what: string, fn: (req: LdapjsRequest, res: LdapjsResponse) => Promise<void>) =>
    (req: LdapjsRequest, res: LdapjsResponse) => {
      fn(req, res).catch((e: unknown) => {
        handlers.problem(view(stateOf(req)), what, (e as Error).stack ?? String(e));
        try { finish(res, { code: ResultCode.operationsError, message: 'internal error' }); } catch { /* connection gone */ }
      });
    };

  server.bind('', guarded('bind', async (req, res) => {
    const state = stateOf(req);
    const raw = (req as { tandemBindName?: string }).tandemBindName ?? String(req.name ?? '');
    if (req.authentication !== undefined && req.authentication !== 'simple') {
      finish(res, { code: ResultCode.authMethodNotSupported, message: 'only simple bind is supported' });
      return;
    }
    const { result, boundAs } = await handlers.bind(view(state), raw, String(req.credentials ?? ''));
    if (result.code === ResultCode.success) state.boundAs = boundAs ?? null;
    else state.boundAs = null; // RFC 4511 4.2.1: a failed bind leaves the connection anonymous
    finish(res, result);
  }));

  server.search('', guarded('search', async (req, res) => {
    const state = stateOf(req);
    const spec: SearchRequestData = {
      baseDn: String(req.baseObject ?? ''),
      scope: req.scopeName === 'base' ? 'base' : req.scopeName === 'single' ? 'one' : 'sub',
      filter: toFilter(req.filter),
      attributes: (req.attributes ?? []).map(String),
      typesOnly: Boolean(req.typesOnly),
      sizeLimit: Number(req.sizeLimit ?? 0),
      timeLimitSeconds: Number(req.timeLimit ?? 0),
    };
    const { entries, result } = await handlers.search(view(state), spec);
    for (const e of entries) {
      if (state.closed) return;
      // A ready SearchEntry: given a plain object, ldapjs would filter attributes itself
      // (case-sensitively, dropping "namingContexts" when asked for "namingcontexts").
      let message: object;
      try {
        message = new ldap.SearchEntry({ messageId: req.messageId, objectName: e.dn, attributes: ldap.Attribute.fromObject(e.attributes) });
      } catch (err) {
        handlers.problem(view(state), 'encode-entry', `${e.dn}: ${(err as Error).message}`);
        continue;
      }
      res.send(message, true);
    }
    finish(res, result);
  }));

  const refuse = (operation: string) => (req: LdapjsRequest, res: LdapjsResponse) => {
    handlers.refused(view(stateOf(req)), operation);
    finish(res, { code: ResultCode.unwillingToPerform, message: `the address book is read-only; ${operation} is not possible` });
  };
  server.add('', refuse('add'));
  server.modify('', refuse('modify'));
  server.del('', refuse('delete'));
  server.modifyDN('', refuse('modify DN'));
  server.compare('', refuse('compare'));

  server.exop(WHOAMI_OID, (req: LdapjsRequest, res: LdapjsResponse) => {
    const state = stateOf(req);
    res.responseValue = state.boundAs ? `u:${state.boundAs}` : '';
    finish(res, { code: ResultCode.success, message: '' });
  });

  server.exop(STARTTLS_OID, (req: LdapjsRequest, res: LdapjsResponse) => {
    const state = stateOf(req);
    if (!options.tls) return finish(res, { code: ResultCode.unavailable, message: 'TLS is not configured on this server' });
    if (state.secure) return finish(res, { code: ResultCode.operationsError, message: 'TLS is already active' });
    res.responseName = STARTTLS_OID;
    finish(res, { code: ResultCode.success, message: '' });
    upgradeToTls(req.connection, options.tls, state, guardSize, (bytes) => {
      handlers.problem(view(state), 'starttls-injection', `${bytes} cleartext bytes after the StartTLS request dropped`);
    });
  });

  const guardSize = (parser: LdapjsParser, socket: Socket, state: ConnState) => {
    const pending = parser.buffer?.length ?? 0;
    if (pending > options.maxRequestBytes) {
      handlers.problem(view(state), 'request-too-large', `${pending} bytes pending, limit ${options.maxRequestBytes}`);
      socket.destroy();
    }
  };

  return {
    accept(socket: Socket, secure: boolean) {
      const state: ConnState = { id: `${socket.remoteAddress}:${socket.remotePort}`, remoteAddress: socket.remoteAddress ?? '', secure, boundAs: null };
      states.set(socket, state);
      socket.once('close', () => { state.closed = true; });
      server.newConnection(socket);
      const parser = (socket as LdapjsSocket).parser;
      // Runs after ldapjs's own data handler, so the parser's pending buffer is current.
      socket.on('data', () => guardSize(parser, socket, state));
      // Runs before ldapjs's own handler: a bind name that is a plain mail address is no
      // DN, and ldapjs would answer invalidDNSyntax; keep it aside for our bind handler.
      (socket as LdapjsSocket).parser.prependListener('message', (req: LdapjsRequest) => {
        if (req.protocolOp !== 0x60) return;
        const name = String(req.name ?? '');
        if (name.includes('=') || name === '') return;
        Object.defineProperty(req, 'tandemBindName', { value: name });
        Object.defineProperty(req, 'name', { value: BIND_BY_ADDRESS_PLACEHOLDER, writable: true });
        Object.defineProperty(req, '_dn', { value: BIND_BY_ADDRESS_PLACEHOLDER, writable: true });
      });
    },
  };
}

/**
 * Swaps the connection to TLS after the StartTLS response went out in cleartext.
 * ldapjs reads from `data` events and writes with `socket.write`; both are rerouted
 * through the TLS socket, so the engine keeps working unchanged over TLS.
 */
function upgradeToTls(socket: LdapjsSocket, context: SecureContext, state: ConnState,
  guardSize: (parser: LdapjsParser, socket: Socket, state: ConnState) => void, onInjection: (bytes: number) => void): void {
  const parser = socket.parser;
  socket.removeAllListeners('data');
  // STARTTLS command injection (RFC 4513 section 3.1.1, CVE-2011-0411 class): requests
  // that came in the same cleartext read as the StartTLS request must not run inside the
  // TLS session. ldapjs would parse them right after this handler returns, so until the
  // first TLS data arrives the parser drops what it is given.
  const realWrite = parser.write.bind(parser);
  let cleartextTail = true;
  parser.buffer = null;
  parser.write = (data: Buffer) => {
    if (cleartextTail) {
      onInjection(data.length);
      return;
    }
    realWrite(data);
  };
  // Reads now go through the TLS socket, so the idle timer must watch it instead.
  const idleMs = socket.timeout ?? 0;
  socket.setTimeout(0);
  const secure = new TLSSocket(socket, { isServer: true, secureContext: context });
  if (idleMs > 0) {
    secure.setTimeout(idleMs);
    secure.on('timeout', () => socket.destroy());
  }
  secure.on('data', (chunk: Buffer) => {
    cleartextTail = false;
    parser.write(chunk);
    guardSize(parser, socket, state);
  });
  secure.on('error', () => socket.destroy());
  socket.write = ((data: Buffer) => secure.write(data)) as typeof socket.write;
  socket.end = ((data?: Buffer) => { if (data) secure.end(data); else secure.end(); return socket; }) as typeof socket.end;
  state.secure = true;
}

/** Converts the library's filter objects into our Filter type. */
export function toFilter(f: LdapjsFilter, depth = 0): Filter {
  if (depth > 50) return { kind: 'unsupported', what: 'nesting deeper than 50' };
  const attribute = String(f.attribute ?? '');
  const value = (v: unknown) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v ?? ''));
  switch (f.type) {
    case 'AndFilter': return { kind: 'and', filters: (f.filters ?? []).map((x) => toFilter(x, depth + 1)) };
    case 'OrFilter': return { kind: 'or', filters: (f.filters ?? []).map((x) => toFilter(x, depth + 1)) };
    case 'NotFilter': return f.filter ? { kind: 'not', filter: toFilter(f.filter, depth + 1) } : { kind: 'unsupported', what: 'empty not' };
    case 'EqualityFilter': return { kind: 'equal', attribute, value: value(f.value) };
    case 'PresenceFilter': return { kind: 'present', attribute };
    case 'SubstringFilter': return {
      kind: 'substrings', attribute,
      initial: f.subInitial ? value(f.subInitial) : undefined,
      any: (f.subAny ?? []).map(value),
      final: f.subFinal ? value(f.subFinal) : undefined,
    };
    case 'GreaterThanEqualsFilter': return { kind: 'greater-or-equal', attribute, value: value(f.value) };
    case 'LessThanEqualsFilter': return { kind: 'less-or-equal', attribute, value: value(f.value) };
    case 'ApproximateFilter': return { kind: 'approx', attribute, value: value(f.value) };
    default: return { kind: 'unsupported', what: String(f.type) };
  }
}

// ---- the parts of ldapjs we use ------------------------------------------------

interface LdapjsFilter {
  type: string; attribute?: string; value?: unknown; filters?: LdapjsFilter[]; filter?: LdapjsFilter;
  subInitial?: string; subAny?: string[]; subFinal?: string;
}
interface LdapjsParser { buffer: Buffer | null; write(data: Buffer): void; prependListener(event: 'message', fn: (req: LdapjsRequest) => void): void }
type LdapjsSocket = Socket & { parser: LdapjsParser };
interface LdapjsRequest {
  connection: LdapjsSocket; protocolOp: number; messageId: number; name?: unknown; credentials?: unknown; authentication?: string;
  baseObject?: unknown; scopeName?: string; filter: LdapjsFilter; attributes?: unknown[]; typesOnly?: boolean;
  sizeLimit?: number; timeLimit?: number;
}
interface LdapjsResponse {
  status: number; diagnosticMessage: string; matchedDN: string; responseName: string; responseValue: string;
  end(): void; send(entry: object, noFiltering: boolean): void;
}
type Handler = (req: LdapjsRequest, res: LdapjsResponse) => void;
interface LdapjsServer {
  on(event: string, fn: (e: Error) => void): void;
  bind(dn: string, h: Handler): void; search(dn: string, h: Handler): void; add(dn: string, h: Handler): void;
  modify(dn: string, h: Handler): void; del(dn: string, h: Handler): void; modifyDN(dn: string, h: Handler): void;
  compare(dn: string, h: Handler): void; exop(oid: string, h: Handler): void;
  newConnection(socket: Socket): void;
}
interface LdapjsModule {
  createServer(options: { log: unknown }): LdapjsServer;
  SearchEntry: new (o: { messageId: number; objectName: string; attributes: object[] }) => object;
  Attribute: { fromObject(attrs: Record<string, string[]>): object[] };
}
