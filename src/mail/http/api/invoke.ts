// Calling one route of the admin API table: the same validation and the same handler
// whether the request came over HTTP (routes.ts) or from `tandem mail ... --data` in this
// process (src/cli/remote/admin.ts), so both give the same answers and the same errors.
import { ZodError, type ZodType } from 'zod';
import { TandemError } from '../../../lib/errors.ts';
import { API_ROUTES, type ApiContext, type ApiRoute, type Method } from './table.ts';

export interface RawInput { params?: unknown; query?: unknown; body?: unknown }

/** Zod issues as one sentence naming each field, e.g. "targets: Too small: ...". */
export function describeZodError(err: ZodError): string {
  return err.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : 'body'}: ${i.message}`).join('; ');
}

function parse<T>(schema: ZodType | undefined, value: unknown, fallback: T): T {
  if (!schema) return fallback;
  try {
    return schema.parse(value ?? {}) as T;
  } catch (err) {
    if (err instanceof ZodError) throw new TandemError('HTTP_ERR_INVALID', 'invalid', describeZodError(err));
    throw err;
  }
}

/** Validates the input against the route's schemas and runs its handler; returns the status and result. */
export async function invokeRoute(route: ApiRoute, raw: RawInput, api: ApiContext): Promise<{ status: number; result: unknown }> {
  const params = parse<Record<string, string>>(route.params, raw.params, {});
  const query = parse<Record<string, unknown>>(route.query, raw.query, {});
  const body = route.body ? parse<unknown>(route.body, raw.body, undefined) : undefined;
  const result = await route.handler({ params, query, body }, api);
  return { status: route.status ?? 200, result: result ?? {} };
}

/** The route a method and path (without query) name, with its decoded path parameters; null when none. */
export function matchRoute(method: Method, path: string): { route: ApiRoute; params: Record<string, string> } | null {
  const parts = path.split('/');
  for (const route of BY_SPECIFICITY) {
    if (route.method !== method) continue;
    const pattern = route.path.split('/');
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const ok = pattern.every((p, i) => {
      if (!p.startsWith(':')) return p === parts[i];
      params[p.slice(1)] = decodeURIComponent(parts[i]!);
      return parts[i] !== '';
    });
    if (ok) return { route, params };
  }
  return null;
}

/** Static segments win over parameters, as in fastify: /users/check is not a user. */
const BY_SPECIFICITY = [...API_ROUTES].sort((a, b) => a.path.split(':').length - b.path.split(':').length);

/**
 * Warnings travel in `Tandem-Warning` headers, one per warning. Header values must be
 * printable ASCII, so anything else (and %) is percent-encoded; decodeWarning undoes it.
 */
export function encodeWarning(text: string): string {
  return text.replace(/[^\x20-\x24\x26-\x7e]/gu, (c) => encodeURIComponent(c));
}

export function decodeWarning(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export const WARNING_HEADER = 'tandem-warning';
