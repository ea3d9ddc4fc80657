// One request to the admin JSON API of the active node: TLS verified against the given
// CA, a bounded time for the whole exchange, a bounded reply size, and every failure
// turned into one sentence for the operator with the exit code of its kind:
// 1 as the local mode (the API refused the operation: invalid, not found, exists...),
// 2 the client's own setup, 3 the API cannot be reached or failed, 4 the token is refused.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CliError } from '../io.ts';
import { decodeWarning, WARNING_HEADER } from '../../mail/http/api/invoke.ts';

export interface RemoteEndpoint { readonly url: URL; readonly token: string; readonly ca: Buffer | null; readonly timeoutMs: number }

export interface ApiReply { status: number; body: unknown; warnings: string[] }

/** Replies larger than this are refused (a queue listing of 10 000 entries is a few MB). */
const MAX_REPLY_BYTES = 64 * 1024 * 1024;

export const EXIT_SETUP = 2;
export const EXIT_UNAVAILABLE = 3;
export const EXIT_AUTH = 4;

const TLS_TRUST_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED',
]);

/** Why a connection failed, in words an operator can act on. */
export function describeConnectError(err: NodeJS.ErrnoException, url: URL): string {
  const where = `the admin API at ${url.origin}`;
  const code = err.code ?? '';
  if (TLS_TRUST_CODES.has(code)) {
    return `TLS: the certificate of ${url.host} is not trusted (${code}); give the http service's certificate with --ca FILE (ca: in admin.yaml), e.g. a copy of cfg/tls/cert.pem from the volume`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `TLS: the certificate of ${url.host} is not for that name (${err.message}); use the host name the certificate names, or add the address to it`;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return `TLS: the certificate of ${url.host} is not valid now (${code})`;
  if (code === 'EPROTO' || /wrong version number|SSL routines/i.test(err.message)) return `TLS handshake with ${url.host} failed (${err.message.split('\n')[0]}); is that port the https listener?`;
  if (code === 'ECONNREFUSED') return `cannot reach ${where}: connection refused (is the mail group running on the active node, and its http service listening there?)`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot reach ${where}: the host name ${url.hostname} does not resolve`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `cannot reach ${where}: no route to ${url.hostname} (${code})`;
  if (code === 'ECONNRESET' || code === 'EPIPE') return `${where} closed the connection (${code}); is that the https listener of the http service?`;
  return `cannot reach ${where}: ${err.message}`;
}

function readBody(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_REPLY_BYTES) {
        res.destroy(new Error(`the reply is larger than ${MAX_REPLY_BYTES} bytes`));
        return;
      }
      chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', reject);
  });
}

/** Sends one request; resolves with any HTTP status, rejects (CliError) when there is no usable reply. */
export function send(ep: RemoteEndpoint, method: string, pathAndQuery: string, body: unknown): Promise<ApiReply> {
  const target = new URL(ep.url.pathname.replace(/\/+$/, '') + pathAndQuery, ep.url);
  const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string> = { authorization: `Bearer ${ep.token}`, accept: 'application/json', 'user-agent': 'tandem-cli' };
  if (payload) { headers['content-type'] = 'application/json'; headers['content-length'] = String(payload.length); }
  const options = {
    method, headers, signal: AbortSignal.timeout(ep.timeoutMs),
    ...(ep.url.protocol === 'https:' ? { ca: ep.ca ?? undefined, rejectUnauthorized: true } : {}),
  };
  const make = ep.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<ApiReply>((resolve, reject) => {
    const req = make(target, options, (res) => {
      readBody(res).then((buf) => {
        const raw = res.headers[WARNING_HEADER];
        const warnings = (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]).map(decodeWarning);
        let parsed: unknown = null;
        if (buf.length > 0) {
          try {
            parsed = JSON.parse(buf.toString('utf8'));
          } catch {
            parsed = { error: null, message: buf.toString('utf8').slice(0, 200) };
          }
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, warnings });
      }, (err: Error) => reject(new CliError(`reading the reply of ${ep.url.origin} failed: ${err.message}`, EXIT_UNAVAILABLE)));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.name === 'AbortError' || err.name === 'TimeoutError') {
        reject(new CliError(`no answer from the admin API at ${ep.url.origin} within ${Math.round(ep.timeoutMs / 1000)} s (is the VIP up? a node in the middle of a failover?)`, EXIT_UNAVAILABLE));
        return;
      }
      reject(new CliError(describeConnectError(err, ep.url), EXIT_UNAVAILABLE));
    });
    req.end(payload ?? undefined);
  });
}

/** Turns an error reply into the operator's message and exit code. */
export function replyError(reply: ApiReply, ep: RemoteEndpoint, what: string): CliError {
  const body = (reply.body ?? {}) as { error?: string | null; message?: string };
  const message = body.message ?? `HTTP ${reply.status}`;
  switch (true) {
    case reply.status === 401:
      return new CliError(`${ep.url.origin} refused the admin token: ${message}`, EXIT_AUTH);
    case reply.status === 403 || reply.status === 429:
      return new CliError(`${ep.url.origin} refused the request: ${message}`, EXIT_AUTH);
    case body.error === 'HTTP_ERR_NO_ROUTE':
      return new CliError(`${ep.url.origin} does not offer ${what} (an older Tandem on the server?): ${message}`, EXIT_UNAVAILABLE);
    case reply.status >= 500 && (body.error === null || body.error === undefined || body.error === 'HTTP_ERR_INTERNAL'):
      return new CliError(`the admin API at ${ep.url.origin} failed (HTTP ${reply.status}): ${message}`, EXIT_UNAVAILABLE);
    default:
      // The operation itself was refused: the same message, and exit code, as with --data.
      return new CliError(message, 1);
  }
}
