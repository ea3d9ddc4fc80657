// The OpenAPI 3.1 document of the admin API, generated from the route table (its zod
// schemas become JSON Schema 2020-12, which OpenAPI 3.1 uses as is).
import { z } from 'zod';
import type { ApiRoute } from './table.ts';

type Json = Record<string, unknown>;

function schema(t: z.ZodType): Json {
  const s = z.toJSONSchema(t, { io: 'input' }) as Json;
  delete s.$schema;
  return s;
}

export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z]+)/g, '{$1}');
}

const ERROR = { $ref: '#/components/schemas/Error' };
const WARNING = {
  description: 'Done, but something the operator should know (a target nobody answers for, a list without moderators...); one header per warning, percent-encoded outside printable ASCII',
  schema: { type: 'string' },
};

export function openApiDocument(routes: readonly ApiRoute[]): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    const parameters: Json[] = [];
    for (const [where, obj] of [['path', r.params], ['query', r.query]] as const) {
      if (!obj) continue;
      const s = schema(obj) as { properties?: Record<string, Json>; required?: string[] };
      for (const [name, prop] of Object.entries(s.properties ?? {})) {
        parameters.push({ name, in: where, required: where === 'path' || (s.required ?? []).includes(name), schema: prop });
      }
    }
    const status = String(r.status ?? 200);
    const op: Json = {
      summary: r.summary, tags: [r.tag], operationId: `${r.method.toLowerCase()}${openApiPath(r.path).replace(/[^A-Za-z]+/g, '_')}`,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema(r.body) } } } } : {}),
      responses: {
        [status]: { ...(status === '204' ? { description: 'done' } : { description: 'success', content: { 'application/json': { schema: {} } } }), headers: { 'Tandem-Warning': WARNING } },
        400: { description: 'invalid request', content: { 'application/json': { schema: ERROR } } },
        401: { description: 'no or bad bearer token', content: { 'application/json': { schema: ERROR } } },
        404: { description: 'not found', content: { 'application/json': { schema: ERROR } } },
        403: { description: 'cleartext HTTP from the network (use HTTPS)', content: { 'application/json': { schema: ERROR } } },
        409: { description: 'conflicts with the current state', content: { 'application/json': { schema: ERROR } } },
        429: { description: 'too many bad tokens from this address; see Retry-After', content: { 'application/json': { schema: ERROR } } },
      },
    };
    (paths[openApiPath(r.path)] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Tandem admin API', version: '1', description: 'Administration of a Tandem mail volume. Authenticate with `Authorization: Bearer <token>` (tokens from `tandem mail admin token create`).' },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'tdm_<id>_<secret> from `tandem mail admin token create`' } },
      schemas: { Error: { type: 'object', required: ['error', 'message'], properties: { error: { type: 'string', description: 'error code' }, message: { type: 'string', description: 'the reason, for people' } } } },
    },
    paths,
  };
}
