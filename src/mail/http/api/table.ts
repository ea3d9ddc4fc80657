// The admin API as data: every route's method, path, schemas and handler in one table,
// from which both the fastify routes and the OpenAPI document are made, so the document
// cannot drift from what is served.
import { z } from 'zod';
import type { HttpDeps } from '../deps.ts';
import type { User } from '../../directory/directory.ts';
import { TandemError } from '../../../lib/errors.ts';
import { passwordProblem } from '../policy/password-rule.ts';
import { listQueue, showQueueEntry, flush, deleteEntry, readMailLog, serviceStates, RESTART_DISABLED_REASON } from '../admin/ops.ts';
import { normalizeDomain } from '../../core/address.ts';

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface ApiContext { deps: HttpDeps; listening: string[] }

export interface ApiRoute {
  readonly method: Method;
  /** fastify syntax: /api/v1/users/:address */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
  /** Status of a success (200 unless said). */
  readonly status?: number;
  readonly handler: (input: { params: Record<string, string>; query: Record<string, unknown>; body: unknown }, api: ApiContext) => Promise<unknown> | unknown;
}

const address = z.string().min(3).max(320);
const addressParam = z.object({ address }).strict();
const password = z.string().min(1).max(1024);
const posting = z.enum(['members', 'anyone', 'moderators']);
const replyTo = z.enum(['sender', 'list']);

function notFound(what: string, name: string): TandemError {
  return new TandemError('MAIL_ERR_NOT_FOUND', 'not-found', `${what} ${name} does not exist`);
}

function userView(deps: HttpDeps, u: User) {
  return { address: u.address, displayName: u.displayName, quotaBytes: u.quotaBytes, enabled: u.enabled, admin: deps.web.isAdmin(u.address),
    createdAt: new Date(u.createdAt).toISOString(), updatedAt: new Date(u.updatedAt).toISOString() };
}

function requirePassword(pw: string, addr: string, deps: HttpDeps): void {
  const problem = passwordProblem(pw, addr, deps.ctx.settings);
  if (problem) throw new TandemError('MAIL_ERR_WEAK_PASSWORD', 'invalid', problem);
}

function domainView(deps: HttpDeps, name: string) {
  const d = deps.ctx.directory.getDomain(name);
  if (!d) throw notFound('domain', normalizeDomain(name));
  const dir = deps.ctx.directory;
  return { name: d.name, catchall: d.catchall, users: dir.listUsers(d.name).length, aliases: dir.listAliases(d.name).length, lists: dir.listLists(d.name).length,
    primary: d.name === deps.ctx.settings.primaryDomain };
}

export const API_ROUTES: readonly ApiRoute[] = [
  // ---- domains
  { method: 'GET', path: '/api/v1/domains', tag: 'domains', summary: 'List the local domains with their account counts',
    handler: (_i, { deps }) => deps.ctx.directory.listDomains().map((d) => domainView(deps, d.name)) },
  { method: 'POST', path: '/api/v1/domains', tag: 'domains', summary: 'Add a local domain', status: 201,
    body: z.object({ name: z.string().min(1).max(253) }).strict(),
    handler: ({ body }, { deps }) => domainView(deps, deps.ctx.directory.addDomain((body as { name: string }).name).name) },
  { method: 'GET', path: '/api/v1/domains/:name', tag: 'domains', summary: 'Show one domain',
    params: z.object({ name: z.string().min(1).max(253) }).strict(),
    handler: ({ params }, { deps }) => domainView(deps, params.name!) },
  { method: 'PUT', path: '/api/v1/domains/:name/catchall', tag: 'domains', summary: 'Set or clear (null) the catch-all target of a domain',
    params: z.object({ name: z.string().min(1).max(253) }).strict(), body: z.object({ target: address.nullable() }).strict(),
    handler: ({ params, body }, { deps }) => {
      deps.ctx.directory.setCatchall(params.name!, (body as { target: string | null }).target);
      return domainView(deps, params.name!);
    } },
  { method: 'DELETE', path: '/api/v1/domains/:name', tag: 'domains', summary: 'Delete a domain (refused while it has accounts, or for the primary domain)', status: 204,
    params: z.object({ name: z.string().min(1).max(253) }).strict(),
    handler: ({ params }, { deps }) => {
      if (normalizeDomain(params.name!) === deps.ctx.settings.primaryDomain) {
        throw new TandemError('MAIL_ERR_IN_USE', 'not-possible', `domain ${params.name} is the primary domain in cfg/mail.yaml; change that first`);
      }
      deps.ctx.directory.deleteDomain(params.name!);
    } },
  // ---- users
  { method: 'GET', path: '/api/v1/users', tag: 'users', summary: 'List users, optionally of one domain',
    query: z.object({ domain: z.string().max(253).optional() }).strict(),
    handler: ({ query }, { deps }) => deps.ctx.directory.listUsers(query.domain as string | undefined).map((u) => userView(deps, u)) },
  { method: 'POST', path: '/api/v1/users', tag: 'users', summary: 'Create a user', status: 201,
    body: z.object({ address, password, displayName: z.string().max(200).optional(), quotaBytes: z.number().int().min(0).optional(),
      enabled: z.boolean().optional(), admin: z.boolean().optional() }).strict(),
    handler: async ({ body }, { deps }) => {
      const b = body as { address: string; password: string; displayName?: string; quotaBytes?: number; enabled?: boolean; admin?: boolean };
      requirePassword(b.password, b.address, deps);
      const u = await deps.ctx.directory.addUser({ address: b.address, password: b.password, displayName: b.displayName ?? '',
        quotaBytes: b.quotaBytes ?? deps.ctx.settings.delivery.defaultQuotaBytes, enabled: b.enabled ?? true });
      if (b.admin) deps.web.setAdmin(u.address, true);
      return userView(deps, u);
    } },
  { method: 'GET', path: '/api/v1/users/:address', tag: 'users', summary: 'Show one user', params: addressParam,
    handler: ({ params }, { deps }) => {
      const u = deps.ctx.directory.getUser(params.address!);
      if (!u) throw notFound('user', params.address!);
      return userView(deps, u);
    } },
  { method: 'PATCH', path: '/api/v1/users/:address', tag: 'users', summary: 'Change display name, quota, enabled or admin', params: addressParam,
    body: z.object({ displayName: z.string().max(200).optional(), quotaBytes: z.number().int().min(0).optional(), enabled: z.boolean().optional(), admin: z.boolean().optional() }).strict(),
    handler: ({ params, body }, { deps }) => {
      const b = body as { displayName?: string; quotaBytes?: number; enabled?: boolean; admin?: boolean };
      const u = deps.ctx.directory.updateUser(params.address!, {
        ...(b.displayName !== undefined ? { displayName: b.displayName } : {}), ...(b.quotaBytes !== undefined ? { quotaBytes: b.quotaBytes } : {}),
        ...(b.enabled !== undefined ? { enabled: b.enabled } : {}) });
      if (b.admin !== undefined) deps.web.setAdmin(u.address, b.admin);
      if (b.enabled === false) deps.web.endSessionsOf(u.address);
      return userView(deps, u);
    } },
  { method: 'PUT', path: '/api/v1/users/:address/password', tag: 'users', summary: 'Reset a user\'s password (their sessions end)', params: addressParam, status: 204,
    body: z.object({ password }).strict(),
    handler: async ({ params, body }, { deps }) => {
      const pw = (body as { password: string }).password;
      requirePassword(pw, params.address!, deps);
      await deps.ctx.directory.setPassword(params.address!, pw);
      deps.web.endSessionsOf(params.address!);
    } },
  { method: 'DELETE', path: '/api/v1/users/:address', tag: 'users', summary: 'Delete a user from the directory (the Maildir stays on disk)', params: addressParam, status: 204,
    handler: ({ params }, { deps }) => { deps.ctx.directory.deleteUser(params.address!); } },
  // ---- aliases
  { method: 'GET', path: '/api/v1/aliases', tag: 'aliases', summary: 'List aliases, optionally of one domain',
    query: z.object({ domain: z.string().max(253).optional() }).strict(),
    handler: ({ query }, { deps }) => deps.ctx.directory.listAliases(query.domain as string | undefined) },
  { method: 'POST', path: '/api/v1/aliases', tag: 'aliases', summary: 'Create an alias', status: 201,
    body: z.object({ address, targets: z.array(address).min(1).max(1000) }).strict(),
    handler: ({ body }, { deps }) => { const b = body as { address: string; targets: string[] }; return deps.ctx.directory.addAlias(b.address, b.targets); } },
  { method: 'GET', path: '/api/v1/aliases/:address', tag: 'aliases', summary: 'Show one alias', params: addressParam,
    handler: ({ params }, { deps }) => {
      const a = deps.ctx.directory.getAlias(params.address!);
      if (!a) throw notFound('alias', params.address!);
      return a;
    } },
  { method: 'DELETE', path: '/api/v1/aliases/:address', tag: 'aliases', summary: 'Delete an alias', params: addressParam, status: 204,
    handler: ({ params }, { deps }) => { deps.ctx.directory.deleteAlias(params.address!); } },
  // ---- lists
  { method: 'GET', path: '/api/v1/lists', tag: 'lists', summary: 'List mailing lists, optionally of one domain',
    query: z.object({ domain: z.string().max(253).optional() }).strict(),
    handler: ({ query }, { deps }) => deps.ctx.directory.listLists(query.domain as string | undefined) },
  { method: 'POST', path: '/api/v1/lists', tag: 'lists', summary: 'Create a mailing list', status: 201,
    body: z.object({ address, description: z.string().max(500).optional(), posting: posting.optional(), replyTo: replyTo.optional() }).strict(),
    handler: ({ body }, { deps }) => deps.ctx.directory.addList(body as { address: string }) },
  { method: 'GET', path: '/api/v1/lists/:address', tag: 'lists', summary: 'Show one list with its members and moderators', params: addressParam,
    handler: ({ params }, { deps }) => {
      const l = deps.ctx.directory.getList(params.address!);
      if (!l) throw notFound('list', params.address!);
      return l;
    } },
  { method: 'PATCH', path: '/api/v1/lists/:address', tag: 'lists', summary: 'Change a list\'s description, posting or reply-to policy', params: addressParam,
    body: z.object({ description: z.string().max(500).optional(), posting: posting.optional(), replyTo: replyTo.optional() }).strict(),
    handler: ({ params, body }, { deps }) => deps.ctx.directory.updateList(params.address!, body as Record<string, never>) },
  { method: 'DELETE', path: '/api/v1/lists/:address', tag: 'lists', summary: 'Delete a list', params: addressParam, status: 204,
    handler: ({ params }, { deps }) => { deps.ctx.directory.deleteList(params.address!); } },
  { method: 'PUT', path: '/api/v1/lists/:address/members/:member', tag: 'lists', summary: 'Add a member or moderator (or change the role)',
    params: z.object({ address, member: address }).strict(), body: z.object({ role: z.enum(['member', 'moderator']).default('member') }).strict(),
    handler: ({ params, body }, { deps }) => {
      deps.ctx.directory.addListMember(params.address!, params.member!, (body as { role: 'member' | 'moderator' }).role);
      return deps.ctx.directory.getList(params.address!);
    } },
  { method: 'DELETE', path: '/api/v1/lists/:address/members/:member', tag: 'lists', summary: 'Remove a member or moderator', status: 204,
    params: z.object({ address, member: address }).strict(),
    handler: ({ params }, { deps }) => { deps.ctx.directory.removeListMember(params.address!, params.member!); } },
  // ---- queue
  { method: 'GET', path: '/api/v1/queue', tag: 'queue', summary: 'List the outbound queue (oldest first, at most `limit`)',
    query: z.object({ limit: z.coerce.number().int().min(1).max(10_000).default(500) }).strict(),
    handler: ({ query }, { deps }) => listQueue(deps.ctx, query.limit as number) },
  { method: 'GET', path: '/api/v1/queue/:id', tag: 'queue', summary: 'Show one queue entry with each recipient\'s state',
    params: z.object({ id: z.string().min(1).max(80) }).strict(),
    handler: ({ params }, { deps }) => showQueueEntry(deps.ctx, params.id!) },
  { method: 'POST', path: '/api/v1/queue/flush', tag: 'queue', summary: 'Make entries (all, or one id) due now and wake the queue runner',
    body: z.object({ id: z.string().min(1).max(80).optional() }).strict(),
    handler: ({ body }, { deps }) => flush(deps.ctx, (body as { id?: string }).id ?? null) },
  { method: 'DELETE', path: '/api/v1/queue/:id', tag: 'queue', summary: 'Delete a queue entry; with bounce=true the sender gets a DSN',
    params: z.object({ id: z.string().min(1).max(80) }).strict(), query: z.object({ bounce: z.enum(['true', 'false']).default('false') }).strict(),
    handler: ({ params, query }, { deps }) => deleteEntry(deps.ctx, params.id!, query.bounce === 'true') },
  // ---- log and services
  { method: 'GET', path: '/api/v1/log', tag: 'operations', summary: 'Recent mail log events (queue, delivery, SMTP, POP3...), newest first',
    query: z.object({ service: z.string().max(30).optional(), event: z.string().max(100).optional(), text: z.string().max(200).optional(),
      limit: z.coerce.number().int().min(1).max(5000).default(200) }).strict(),
    handler: ({ query }, { deps }) => readMailLog(deps.ctx, query as { limit: number }) },
  { method: 'GET', path: '/api/v1/services', tag: 'operations', summary: 'The listeners of every service and whether they answer',
    handler: async (_i, { deps, listening }) => ({ listeners: await serviceStates(deps.ctx, { listening }), restart: { available: false, reason: RESTART_DISABLED_REASON } }) },
];
