// The admin API as data: every route's method, path, schemas and handler in one table,
// from which both the fastify routes and the OpenAPI document are made, so the document
// cannot drift from what is served.
import { z } from 'zod';
import type { MailContext } from '../../core/context.ts';
import type { AdminEnv } from '../admin/account-ops.ts';
import * as ops from '../admin/account-ops.ts';
import * as replication from '../admin/replication-ops.ts';
import { listQueue, queueEntryDetail, flush, deleteEntry, readMailLog, serviceStates, cronJobs, runCronJob } from '../admin/ops.ts';
import { clusterLink, restartAvailability, restartThroughCluster } from '../admin/cluster-restart.ts';

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/**
 * What a handler is given: the account operations' environment (its warnings travel
 * back with the reply, in Tandem-Warning headers), the volume for the queue, log and
 * services, and where this service listens.
 */
export interface ApiContext { env: AdminEnv; ctx: MailContext; listening: string[] }

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
const domainParam = z.object({ name: z.string().min(1).max(253) }).strict();
const domainFilter = z.object({ domain: z.string().max(253).optional() }).strict();
const password = z.string().min(1).max(1024);
const posting = z.enum(['members', 'anyone', 'moderators']);
const replyTo = z.enum(['sender', 'list']);
const displayName = z.string().max(200);
const quotaBytes = z.number().int().min(0);
const listPolicy = z.object({ description: z.string().max(500).optional(), posting: posting.optional(), replyTo: replyTo.optional() }).strict();
const newUser = { address, displayName: displayName.optional(), quotaBytes: quotaBytes.optional(), enabled: z.boolean().optional(), admin: z.boolean().optional() };

export const API_ROUTES: readonly ApiRoute[] = [
  // ---- domains
  { method: 'GET', path: '/api/v1/domains', tag: 'domains', summary: 'List the local domains with their account counts',
    handler: (_i, { env }) => ops.listDomains(env) },
  { method: 'POST', path: '/api/v1/domains', tag: 'domains', summary: 'Add a local domain', status: 201,
    body: z.object({ name: z.string().min(1).max(253) }).strict(),
    handler: ({ body }, { env }) => ops.addDomain(env, (body as { name: string }).name) },
  { method: 'GET', path: '/api/v1/domains/:name', tag: 'domains', summary: 'Show one domain (with createdAt)', params: domainParam,
    handler: ({ params }, { env }) => ops.showDomain(env, params.name!) },
  { method: 'PUT', path: '/api/v1/domains/:name/catchall', tag: 'domains', summary: 'Set or clear (null) the catch-all target of a domain (the target must exist)',
    params: domainParam, body: z.object({ target: address.nullable() }).strict(),
    handler: ({ params, body }, { env }) => ops.setCatchall(env, params.name!, (body as { target: string | null }).target) },
  { method: 'DELETE', path: '/api/v1/domains/:name', tag: 'domains', summary: 'Delete a domain (refused while it has accounts, or for the primary domain)', status: 204,
    params: domainParam, handler: ({ params }, { env }) => ops.deleteDomain(env, params.name!) },
  // ---- users
  { method: 'GET', path: '/api/v1/users', tag: 'users', summary: 'List users, optionally of one domain', query: domainFilter,
    handler: ({ query }, { env }) => ops.listUsers(env, query.domain as string | undefined) },
  { method: 'POST', path: '/api/v1/users', tag: 'users', summary: 'Create a user', status: 201,
    body: z.object({ ...newUser, password }).strict(),
    handler: ({ body }, { env }) => ops.addUser(env, body as ops.NewUser & { password: string }) },
  { method: 'POST', path: '/api/v1/users/check', tag: 'users', summary: 'Check that a user could be created, before asking for its password: {address, quotaBytes} or the error creating it would give',
    body: z.object(newUser).strict(),
    handler: ({ body }, { env }) => ops.checkNewUser(env, body as ops.NewUser) },
  { method: 'GET', path: '/api/v1/users/:address', tag: 'users', summary: 'Show one user, with mailbox usage, the addresses it may send as and its lists', params: addressParam,
    handler: ({ params }, { env }) => ops.showUser(env, params.address!) },
  { method: 'PATCH', path: '/api/v1/users/:address', tag: 'users', summary: 'Change display name, quota, enabled, admin or home system ("local" or null: this one)', params: addressParam,
    body: z.object({ displayName: displayName.optional(), quotaBytes: quotaBytes.optional(), enabled: z.boolean().optional(), admin: z.boolean().optional(),
      home: z.string().max(63).nullable().optional() }).strict(),
    handler: ({ params, body }, { env }) => ops.updateUser(env, params.address!, body as ops.UserChanges) },
  { method: 'PUT', path: '/api/v1/users/:address/password', tag: 'users', summary: 'Reset a user\'s password (their sessions end)', params: addressParam, status: 204,
    body: z.object({ password }).strict(),
    handler: ({ params, body }, { env }) => ops.setPassword(env, params.address!, (body as { password: string }).password) },
  { method: 'DELETE', path: '/api/v1/users/:address', tag: 'users', summary: 'Delete a user from the directory; the Maildir stays on disk unless purge=true', params: addressParam, status: 204,
    query: z.object({ purge: z.enum(['true', 'false']).default('false') }).strict(),
    handler: async ({ params, query }, { env }) => { await ops.deleteUser(env, params.address!, query.purge === 'true'); } },
  // ---- aliases
  { method: 'GET', path: '/api/v1/aliases', tag: 'aliases', summary: 'List aliases, optionally of one domain', query: domainFilter,
    handler: ({ query }, { env }) => ops.listAliases(env, query.domain as string | undefined) },
  { method: 'POST', path: '/api/v1/aliases', tag: 'aliases', summary: 'Create an alias', status: 201,
    body: z.object({ address, targets: z.array(z.string().max(320)).min(1).max(1000) }).strict(),
    handler: ({ body }, { env }) => { const b = body as { address: string; targets: string[] }; return ops.addAlias(env, b.address, b.targets); } },
  { method: 'GET', path: '/api/v1/aliases/:address', tag: 'aliases', summary: 'Show one alias', params: addressParam,
    handler: ({ params }, { env }) => ops.showAlias(env, params.address!) },
  { method: 'GET', path: '/api/v1/aliases/:address/targets', tag: 'aliases', summary: 'What each target of an alias is here: user, alias, list, remote or missing (mail to it bounces)', params: addressParam,
    handler: ({ params }, { env }) => ops.aliasTargetKinds(env, params.address!) },
  { method: 'DELETE', path: '/api/v1/aliases/:address', tag: 'aliases', summary: 'Delete an alias', params: addressParam, status: 204,
    handler: ({ params }, { env }) => ops.deleteAlias(env, params.address!) },
  // ---- lists
  { method: 'GET', path: '/api/v1/lists', tag: 'lists', summary: 'List mailing lists, optionally of one domain', query: domainFilter,
    handler: ({ query }, { env }) => ops.listLists(env, query.domain as string | undefined) },
  { method: 'POST', path: '/api/v1/lists', tag: 'lists', summary: 'Create a mailing list', status: 201,
    body: listPolicy.extend({ address }),
    handler: ({ body }, { env }) => ops.addList(env, body as ops.ListPolicy & { address: string }) },
  { method: 'GET', path: '/api/v1/lists/:address', tag: 'lists', summary: 'Show one list with its members and moderators', params: addressParam,
    handler: ({ params }, { env }) => ops.showList(env, params.address!) },
  { method: 'PATCH', path: '/api/v1/lists/:address', tag: 'lists', summary: 'Change a list\'s description, posting or reply-to policy', params: addressParam,
    body: listPolicy, handler: ({ params, body }, { env }) => ops.updateList(env, params.address!, body as ops.ListPolicy) },
  { method: 'DELETE', path: '/api/v1/lists/:address', tag: 'lists', summary: 'Delete a list', params: addressParam, status: 204,
    handler: ({ params }, { env }) => ops.deleteList(env, params.address!) },
  { method: 'PUT', path: '/api/v1/lists/:address/members/:member', tag: 'lists', summary: 'Add a member or moderator (or change the role)',
    params: z.object({ address, member: z.string().min(1).max(320) }).strict(), body: z.object({ role: z.enum(['member', 'moderator']).default('member') }).strict(),
    handler: ({ params, body }, { env }) => ops.addListMember(env, params.address!, params.member!, (body as { role: 'member' | 'moderator' }).role) },
  { method: 'DELETE', path: '/api/v1/lists/:address/members/:member', tag: 'lists', summary: 'Remove a member or moderator', status: 204,
    params: z.object({ address, member: z.string().min(1).max(320) }).strict(),
    handler: ({ params }, { env }) => { ops.removeListMember(env, params.address!, params.member!); } },
  // ---- admin console access and tokens
  { method: 'GET', path: '/api/v1/admins', tag: 'admin', summary: 'The users who may use the admin console',
    handler: (_i, { env }) => ops.listAdmins(env) },
  { method: 'PUT', path: '/api/v1/admins/:address', tag: 'admin', summary: 'Let a user log in to the admin console', params: addressParam,
    handler: ({ params }, { env }) => ops.grantAdmin(env, params.address!) },
  { method: 'DELETE', path: '/api/v1/admins/:address', tag: 'admin', summary: 'Take the admin console away from a user (their sessions end)', params: addressParam, status: 204,
    handler: ({ params }, { env }) => ops.revokeAdmin(env, params.address!) },
  { method: 'GET', path: '/api/v1/tokens', tag: 'admin', summary: 'Admin API tokens (ids and names, never the secrets)',
    handler: (_i, { env }) => ops.listTokens(env) },
  { method: 'POST', path: '/api/v1/tokens', tag: 'admin', summary: 'Make an admin API token: {id, name, token}; the token is shown only in this reply', status: 201,
    body: z.object({ name: z.string().min(1).max(100) }).strict(),
    handler: ({ body }, { env }) => ops.createToken(env, (body as { name: string }).name) },
  { method: 'DELETE', path: '/api/v1/tokens/:id', tag: 'admin', summary: 'Revoke an admin API token (requests with it are refused at once)', status: 204,
    params: z.object({ id: z.string().min(1).max(64) }).strict(),
    handler: ({ params }, { env }) => ops.revokeToken(env, params.id!) },
  // ---- queue
  { method: 'GET', path: '/api/v1/queue', tag: 'queue', summary: 'List the outbound queue (oldest first, at most `limit`)',
    query: z.object({ limit: z.coerce.number().int().min(1).max(10_000).default(500) }).strict(),
    handler: ({ query }, { ctx }) => listQueue(ctx, query.limit as number) },
  { method: 'GET', path: '/api/v1/queue/:id', tag: 'queue', summary: 'Show one queue entry: envelope, each recipient\'s state, the message header',
    params: z.object({ id: z.string().min(1).max(80) }).strict(),
    handler: ({ params }, { ctx }) => queueEntryDetail(ctx, params.id!) },
  { method: 'POST', path: '/api/v1/queue/flush', tag: 'queue', summary: 'Make entries (all, or one id) due now and wake the queue runner',
    body: z.object({ id: z.string().min(1).max(80).optional() }).strict(),
    handler: ({ body }, { ctx }) => flush(ctx, (body as { id?: string }).id ?? null) },
  { method: 'DELETE', path: '/api/v1/queue/:id', tag: 'queue', summary: 'Delete a queue entry; with bounce=true the sender gets a DSN',
    params: z.object({ id: z.string().min(1).max(80) }).strict(), query: z.object({ bounce: z.enum(['true', 'false']).default('false') }).strict(),
    handler: ({ params, query }, { ctx }) => deleteEntry(ctx, params.id!, query.bounce === 'true') },
  // ---- account replication (S7)
  { method: 'GET', path: '/api/v1/replication', tag: 'replication', summary: 'Role, versions, and on a slave the follower\'s last success and error',
    handler: (_i, { ctx }) => replication.replicationStatus(ctx) },
  { method: 'GET', path: '/api/v1/replication/tokens', tag: 'replication', summary: 'Slave tokens of this master and when each was last used',
    handler: (_i, { ctx }) => replication.listSlaveTokens(ctx) },
  { method: 'POST', path: '/api/v1/replication/tokens', tag: 'replication', summary: 'Make (or replace) the token of a slave: {name, token, fingerprint}; the token is in this reply only', status: 201,
    body: z.object({ name: z.string().min(1).max(63) }).strict(),
    handler: ({ body }, { ctx, env }) => replication.createSlaveToken(ctx, (body as { name: string }).name, env.warn) },
  { method: 'DELETE', path: '/api/v1/replication/tokens/:name', tag: 'replication', summary: 'Revoke the token of a slave (its next request is refused)', status: 204,
    params: z.object({ name: z.string().min(1).max(63) }).strict(),
    handler: ({ params }, { ctx }) => replication.revokeSlaveToken(ctx, params.name!) },
  // ---- cron
  { method: 'GET', path: '/api/v1/cron', tag: 'cron', summary: 'Every cron job: schedule (UTC), enabled, last start and end, result, next run',
    handler: (_i, { ctx }) => cronJobs(ctx) },
  { method: 'POST', path: '/api/v1/cron/:job/run', tag: 'cron', summary: 'Run one cron job now and wait for it: {job, ok, summary, startedAt, finishedAt}',
    params: z.object({ job: z.string().min(1).max(40) }).strict(), body: z.object({}).strict(),
    handler: ({ params }, { ctx }) => runCronJob(ctx, params.job!) },
  // ---- log and services
  { method: 'GET', path: '/api/v1/log', tag: 'operations', summary: 'Recent mail log events (queue, delivery, SMTP, POP3...), newest first',
    query: z.object({ service: z.string().max(30).optional(), event: z.string().max(100).optional(), text: z.string().max(200).optional(),
      limit: z.coerce.number().int().min(1).max(5000).default(200) }).strict(),
    handler: ({ query }, { ctx }) => readMailLog(ctx, query as { limit: number }) },
  { method: 'GET', path: '/api/v1/services', tag: 'operations', summary: 'The listeners of every service and whether they answer; whether restart is available (under the cluster manager)',
    handler: async (_i, { ctx, listening }) => ({ listeners: await serviceStates(ctx, { listening }), restart: restartAvailability(clusterLink()) }) },
  { method: 'POST', path: '/api/v1/services/:name/restart', tag: 'operations',
    summary: 'Restart a service through the cluster manager (monitor suspended, restart, resumed; never a failover, S16); 409 on a host without it',
    params: z.object({ name: z.string().min(1).max(40) }).strict(),
    handler: async ({ params }) => ({ message: await restartThroughCluster(clusterLink(), params.name!) }) },
];
