// The admin API as the CLI's commands see it: one `call`, answered either in this
// process from the volume (--data: the API's route table invoked directly, with the same
// validation and the same operations) or by the active node over HTTPS (--remote). The
// commands format what comes back, so their output is the same both ways.
import { resolve } from 'node:path';
import { openVolume, loadTls } from '../../mail/core/volume.ts';
import { Directory } from '../../mail/directory/directory.ts';
import { replicaOf, type MailContext } from '../../mail/core/context.ts';
import { WebDb } from '../../mail/http/store/web-db.ts';
import { invokeRoute, matchRoute } from '../../mail/http/api/invoke.ts';
import type { Method } from '../../mail/http/api/table.ts';
import { logger } from '../../lib/log.ts';
import { CliError } from '../io.ts';
import { resolveTarget, type AdminTarget, type TargetOpts } from './target.ts';
import { send, replyError, type RemoteEndpoint } from './client.ts';

export type Query = Record<string, string | number | boolean | undefined>;

export interface AdminApi {
  /** "this host's volume DIR" or "https://vip:port": where the command runs. */
  readonly where: string;
  readonly remote: boolean;
  /** Calls one API route, e.g. call('GET', '/users', { query: { domain } }); path is under /api/v1. */
  call<T = unknown>(method: Method, path: string, opts?: { query?: Query; body?: unknown }): Promise<T>;
}

/** Encodes a value as one path segment: addresses go into paths. */
export const seg = (value: string): string => encodeURIComponent(value);

function queryString(query: Query | undefined): string {
  const entries = Object.entries(query ?? {}).filter((e): e is [string, string | number | boolean] => e[1] !== undefined);
  return entries.length === 0 ? '' : `?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
}

function printWarning(text: string): void {
  process.stderr.write(`tandem: warning: ${text}\n`);
}

/** Opens what a local call needs: the volume, its directory and the web tables. */
async function openLocal(data: string): Promise<{ api: AdminApi; close: () => void }> {
  // Absolute, so the mailbox paths the commands print are usable from anywhere.
  const { layout, settings } = await openVolume(resolve(data));
  const directory = Directory.open(layout.accountsDb, { replicaOf: replicaOf(settings) });
  let web: WebDb;
  try {
    web = WebDb.open(layout.accountsDb);
  } catch (err) {
    directory.close();
    throw err;
  }
  // No admin operation uses the TLS material: a volume whose certificate files are
  // broken can still have its accounts managed (as before this module).
  const tls = await loadTls(layout, settings).catch(() => ({ cert: '', key: '' }) as unknown as MailContext['tls']);
  // Operations log (a DSN queued...) at warn and above only: the CLI prints its own lines.
  const ctx: MailContext = { layout, settings, directory, tls, log: logger('admin-cli').child({}, { level: 'warn' }) };
  const env = { ctx, web, warn: printWarning, local: true };
  const api: AdminApi = {
    where: `the volume ${layout.root}`,
    remote: false,
    async call<T>(method: Method, path: string, opts: { query?: Query; body?: unknown } = {}): Promise<T> {
      const matched = matchRoute(method, `/api/v1${path}`);
      if (!matched) throw new Error(`no admin API route ${method} /api/v1${path}`);
      const query = Object.fromEntries(Object.entries(opts.query ?? {}).filter((e) => e[1] !== undefined).map(([k, v]) => [k, String(v)]));
      const { result } = await invokeRoute(matched.route, { params: matched.params, query, body: opts.body }, { env, ctx, listening: [] });
      // Exactly what the JSON over HTTP would carry, so the commands see one shape.
      return JSON.parse(JSON.stringify(result ?? {})) as T;
    },
  };
  return { api, close: () => { web.close(); directory.close(); } };
}

function openRemote(target: Extract<AdminTarget, { kind: 'remote' }>): AdminApi {
  const ep: RemoteEndpoint = target;
  return {
    where: target.url.origin,
    remote: true,
    async call<T>(method: Method, path: string, opts: { query?: Query; body?: unknown } = {}): Promise<T> {
      const full = `/api/v1${path}${queryString(opts.query)}`;
      const body = opts.body ?? (method === 'POST' || method === 'PUT' || method === 'PATCH' ? {} : undefined);
      const reply = await send(ep, method, full, body);
      for (const w of reply.warnings) printWarning(w);
      if (reply.status >= 200 && reply.status < 300) return (reply.body ?? {}) as T;
      throw replyError(reply, ep, `${method} /api/v1${path}`);
    },
  };
}

/** Runs `fn` with the admin API of the target the options name; local resources are always closed. */
export async function withAdmin<T>(opts: TargetOpts, fn: (api: AdminApi) => Promise<T> | T): Promise<T> {
  const target = await resolveTarget(opts);
  if (target.kind === 'remote') return fn(openRemote(target));
  const local = await openLocal(target.data);
  try {
    return await fn(local.api);
  } finally {
    local.close();
  }
}

/** For commands that exist only where the volume is: refuse --remote with a reason. */
export async function requireLocal(opts: TargetOpts, command: string, why: string): Promise<string> {
  const target = await resolveTarget(opts);
  if (target.kind === 'remote') {
    throw new CliError(`"tandem mail ${command}" ${why}; it has no remote mode: run it on the active node with --data DIR`, 2);
  }
  return target.data;
}
