// The account feed's wire format (master -> slave, S7): a batch is the current state of
// every account that changed after the slave's version. Records are whole rows, so a
// batch is idempotent and a slave that applies it twice ends in the same state. The
// slave validates every batch with these schemas before touching its database.
import { z } from 'zod';

export const FEED_PATH = '/replication/v1/changes';
/** Changes per batch; a slave far behind gets several batches (`more: true`). */
export const BATCH_LIMIT = 1000;

const address = z.string().min(3).max(320);
const domainName = z.string().min(1).max(253);

export const domainRecord = z.object({
  name: domainName,
  catchall: z.string().nullable(),
  createdAt: z.number().int(),
}).strict();

export const userRecord = z.object({
  address,
  domain: domainName,
  local: z.string().min(1),
  passwordHash: z.string().min(1),
  displayName: z.string(),
  quotaBytes: z.number().int().min(0),
  enabled: z.boolean(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
  /** The member system holding the mailbox, always named on the wire (never "this system"). */
  home: z.string().min(1),
}).strict();

export const aliasRecord = z.object({
  address,
  domain: domainName,
  createdAt: z.number().int(),
  targets: z.array(z.string().min(1)).min(1),
}).strict();

export const listRecord = z.object({
  address,
  domain: domainName,
  description: z.string(),
  posting: z.enum(['members', 'anyone', 'moderators']),
  replyTo: z.enum(['sender', 'list']),
  createdAt: z.number().int(),
  members: z.array(z.object({ address: z.string().min(1), role: z.enum(['member', 'moderator']) }).strict()),
}).strict();

/** One account's state after its latest change; `record: null` means it was deleted. */
export const change = z.discriminatedUnion('entity', [
  z.object({ entity: z.literal('domain'), key: domainName, record: domainRecord.nullable() }).strict(),
  z.object({ entity: z.literal('user'), key: address, record: userRecord.nullable() }).strict(),
  z.object({ entity: z.literal('alias'), key: address, record: aliasRecord.nullable() }).strict(),
  z.object({ entity: z.literal('list'), key: address, record: listRecord.nullable() }).strict(),
]);

export const batch = z.object({
  /** Identity of the master's database: a new one (restored, replaced) forces a full resync. */
  dbId: z.string().regex(/^[0-9a-f]{32}$/),
  /** The master's system name (the home of users whose home column is empty there). */
  system: z.string().min(1),
  /** The slave is at this version once the batch is applied. */
  version: z.number().int().min(0),
  /** Full snapshot: every account; anything the slave has that is not listed must go. */
  full: z.boolean(),
  /** More changes are waiting: ask again at once. */
  more: z.boolean(),
  changes: z.array(change),
}).strict();

export type DomainRecord = z.infer<typeof domainRecord>;
export type UserRecord = z.infer<typeof userRecord>;
export type AliasRecord = z.infer<typeof aliasRecord>;
export type ListRecord = z.infer<typeof listRecord>;
export type Change = z.infer<typeof change>;
export type Batch = z.infer<typeof batch>;
export type Entity = Change['entity'];
