// The node channel's RPC half: signed HTTP requests to a peer's (or our own) node API.
// Every call is bounded by a timeout; errors come back as values with a readable reason.
import type { ClusterConfig } from '../model/config-schema.ts';
import { signRequest, type ChannelKeys } from './auth.ts';
import { DEFAULT_PORT } from './channel.ts';

export type RpcResult<T> = { ok: true; status: number; body: T } | { ok: false; status: number; reason: string };

export interface RpcTarget {
  readonly host: string;
  readonly port: number;
}

export function targetOf(config: ClusterConfig, node: string, address?: string | null): RpcTarget | null {
  const n = config.nodes.find((x) => x.name === node);
  if (!n) return null;
  return { host: address ?? (n.addresses[0] as string), port: n.port ?? DEFAULT_PORT };
}

function hostPart(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** One signed request; `from` names the caller ("cli" for the command line). */
export async function rpc<T>(keys: ChannelKeys, from: string, target: RpcTarget, method: 'GET' | 'POST', path: string,
  body: unknown, timeoutMs: number, signal?: AbortSignal): Promise<RpcResult<T>> {
  const text = method === 'GET' ? '' : JSON.stringify(body ?? {});
  const headers: Record<string, string> = signRequest(keys, method, path, from, text);
  if (method === 'POST') headers['content-type'] = 'application/json';
  const timeout = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetch(`http://${hostPart(target.host)}:${target.port}${path}`, {
      method, headers, body: method === 'GET' ? undefined : text,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    const reason = cause === 'ECONNREFUSED' ? 'connection refused (is the node daemon running there?)'
      : timeout.aborted ? `no answer within ${timeoutMs} ms` : (cause ?? (err as Error).message);
    return { ok: false, status: 0, reason };
  }
  const raw = await res.text().catch(() => '');
  let parsed: unknown = raw;
  try { parsed = raw ? JSON.parse(raw) : {}; } catch { /* plain text */ }
  if (!res.ok) {
    const msg = typeof parsed === 'object' && parsed !== null && 'error' in parsed ? String((parsed as { error: unknown }).error) : raw || res.statusText;
    return { ok: false, status: res.status, reason: msg };
  }
  return { ok: true, status: res.status, body: parsed as T };
}
