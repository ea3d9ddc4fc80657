// The account operations of the admin tools, one implementation each: the JSON API's
// route table calls them, and so does `tandem mail domain|user|alias|list|admin` (in
// this process with --data, through the API with --remote), so the checks, the
// warnings and the error messages are the same whichever way an operator comes in.
// Each returns plain JSON-able data; formatting for people is the caller's job.
import { lstat, rm } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { MailContext } from '../../core/context.ts';
import type { WebDb } from '../store/web-db.ts';
import type { Alias, Directory, MailingList, PostingPolicy, ReplyToPolicy, User } from '../../directory/directory.ts';
import { normalizeDomain, isValidDomain, parseAddress } from '../../core/address.ts';
import { readUsage } from '../../storage/quota.ts';
import { TandemError } from '../../../lib/errors.ts';
import { passwordProblem } from '../policy/password-rule.ts';

/** What an operation works with. */
export interface AdminEnv {
  readonly ctx: Pick<MailContext, 'layout' | 'settings' | 'directory'>;
  readonly web: WebDb;
  /** Tells the operator something that is not an error (a target nobody answers for...). */
  readonly warn: (text: string) => void;
  /**
   * The volume's own operator at the CLI of this host (--data). The password policy is
   * enforced for callers over the network only, as it always was for the local CLI.
   */
  readonly local: boolean;
}

const invalid = (message: string) => new TandemError('MAIL_ERR_INVALID', 'invalid', message);
const notFound = (message: string) => new TandemError('MAIL_ERR_NOT_FOUND', 'not-found', message);
const iso = (ms: number) => new Date(ms).toISOString();

/** Parses a mail address argument into its normalised parts, or fails naming it. */
export function requireAddress(text: string, what = 'address'): { address: string; local: string; domain: string } {
  const a = parseAddress(text.trim());
  if (!a) throw invalid(`${what} "${text}" is not a valid mail address (expected local@domain)`);
  return { address: `${a.local}@${a.domain}`, local: a.local, domain: a.domain };
}

function requireLocalAddress(dir: Directory, text: string, what = 'address') {
  const a = requireAddress(text, what);
  if (!dir.isLocalDomain(a.domain)) throw notFound(`domain ${a.domain} is not a local domain; add it first with "tandem mail domain add ${a.domain}"`);
  return a;
}

/** A new account's address: local domain, and no user, alias or list has it yet. */
function requireFreeLocalAddress(dir: Directory, text: string) {
  const a = requireLocalAddress(dir, text);
  const taken = dir.getUser(a.address) ? 'a user' : dir.getAlias(a.address) ? 'an alias' : dir.getList(a.address) ? 'a list' : null;
  if (taken) throw new TandemError('MAIL_ERR_EXISTS', 'exists', `${a.address} already exists as ${taken}`);
  return a;
}

/** A --domain / ?domain= filter must name one of our domains (a typo is not "none"). */
function requireLocalDomain(dir: Directory, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const domain = normalizeDomain(text);
  if (!isValidDomain(domain)) throw invalid(`"${text}" is not a valid domain name`);
  if (!dir.isLocalDomain(domain)) throw notFound(`domain ${domain} is not a local domain`);
  return domain;
}

/** One line, no control characters: display names and descriptions end up in headers. */
function oneLine(text: string | undefined, what: 'display name' | 'description'): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (text !== undefined && /[\x00-\x1f\x7f]/.test(text)) {
    throw invalid(what === 'display name' ? 'display name must not contain control characters or line breaks' : 'description must be one line without control characters');
  }
  return text;
}

/** A local address nothing answers for bounces every message: warn when one is named. */
function warnIfDangling(env: AdminEnv, address: string, role: string): void {
  const r = env.ctx.directory.resolve(address);
  if (r && (r.kind === 'unknown-local' || r.kind === 'catchall')) {
    env.warn(`${role} ${address} is in a local domain but no user, alias or list has that address; mail to it will bounce`);
  }
}

/** Aliases, lists and catch-alls that name an address: they bounce once it is gone. */
function warnReferences(env: AdminEnv, address: string): void {
  const dir = env.ctx.directory;
  const refs = [
    ...dir.listAliases().filter((a) => a.targets.includes(address)).map((a) => `alias ${a.address}`),
    ...dir.listLists().filter((l) => l.members.some((m) => m.address === address)).map((l) => `list ${l.address}`),
    ...dir.listDomains().filter((d) => d.catchall === address).map((d) => `the catch-all of ${d.name}`),
  ];
  if (refs.length > 0) env.warn(`${address} is still named by ${refs.join(', ')}; mail sent there for it will bounce`);
}

// ---- domains ----------------------------------------------------------------

export interface DomainView { name: string; catchall: string | null; users: number; aliases: number; lists: number; primary: boolean }

export function domainView(env: AdminEnv, name: string): DomainView {
  const dir = env.ctx.directory;
  const d = dir.getDomain(name);
  if (!d) throw notFound(`domain ${normalizeDomain(name)} does not exist`);
  return {
    name: d.name, catchall: d.catchall, users: dir.listUsers(d.name).length, aliases: dir.listAliases(d.name).length,
    lists: dir.listLists(d.name).length, primary: d.name === normalizeDomain(env.ctx.settings.primaryDomain),
  };
}

/** One domain with when it was added (`domain show`). */
export function showDomain(env: AdminEnv, name: string): DomainView & { createdAt: string } {
  const view = domainView(env, name);
  return { ...view, createdAt: iso(env.ctx.directory.getDomain(view.name)!.createdAt) };
}

export function listDomains(env: AdminEnv): DomainView[] {
  return env.ctx.directory.listDomains().map((d) => domainView(env, d.name));
}

export function addDomain(env: AdminEnv, name: string): DomainView {
  return domainView(env, env.ctx.directory.addDomain(name).name);
}

/** Refused while the domain has accounts (the directory), and for the primary domain. */
export function deleteDomain(env: AdminEnv, name: string): void {
  const d = domainView(env, name);
  if (d.primary) {
    throw new TandemError('MAIL_ERR_IN_USE', 'not-possible', `domain ${d.name} is the primary domain in cfg/mail.yaml (primaryDomain); change that first`);
  }
  env.ctx.directory.deleteDomain(d.name);
}

/** Sets the catch-all (null clears it). The target must exist: else mail loops to itself. */
export function setCatchall(env: AdminEnv, name: string, target: string | null): DomainView {
  const d = domainView(env, name);
  if (target === null) {
    env.ctx.directory.setCatchall(d.name, null);
    return domainView(env, d.name);
  }
  const t = requireAddress(target, 'catch-all').address;
  const r = env.ctx.directory.resolve(t);
  if (r?.kind === 'unknown-local' || r?.kind === 'catchall') throw invalid(`catch-all target ${t} does not exist; create the user, alias or list first`);
  env.ctx.directory.setCatchall(d.name, t);
  return domainView(env, d.name);
}

// ---- users ------------------------------------------------------------------

export interface UserView {
  address: string; displayName: string; quotaBytes: number; enabled: boolean; admin: boolean; home: string | null;
  createdAt: string; updatedAt: string;
}

export interface UserDetail extends UserView {
  usage: { bytes: number; count: number }; maildir: string; maildirExists: boolean; sendsAs: string[]; lists: string[];
}

function userView(env: AdminEnv, u: User): UserView {
  return { address: u.address, displayName: u.displayName, quotaBytes: u.quotaBytes, enabled: u.enabled, admin: env.web.isAdmin(u.address),
    home: u.home ?? null, createdAt: iso(u.createdAt), updatedAt: iso(u.updatedAt) };
}

function requireUser(env: AdminEnv, text: string): User {
  const { address } = requireAddress(text);
  const user = env.ctx.directory.getUser(address);
  if (!user) throw notFound(`user ${address} does not exist`);
  return user;
}

/** The mailbox directory, or null when nothing has been delivered yet. */
async function existingMaildir(env: AdminEnv, user: { domain: string; local: string }): Promise<string | null> {
  const path = env.ctx.layout.maildir(user.domain, user.local);
  return (await lstat(path).catch(() => null)) ? path : null;
}

export function listUsers(env: AdminEnv, domain?: string): UserView[] {
  return env.ctx.directory.listUsers(requireLocalDomain(env.ctx.directory, domain)).map((u) => userView(env, u));
}

export async function showUser(env: AdminEnv, address: string): Promise<UserDetail> {
  const dir = env.ctx.directory;
  const u = requireUser(env, address);
  const maildir = await existingMaildir(env, u);
  const usage = maildir ? await readUsage(maildir, u.quotaBytes) : null;
  return {
    ...userView(env, u),
    usage: usage ? { bytes: usage.bytes, count: usage.count } : { bytes: 0, count: 0 },
    maildir: env.ctx.layout.maildir(u.domain, u.local), maildirExists: maildir !== null,
    sendsAs: dir.sendersFor(u), lists: dir.listLists().filter((l) => l.members.some((m) => m.address === u.address)).map((l) => l.address),
  };
}

export interface NewUser { address: string; displayName?: string; quotaBytes?: number; enabled?: boolean; admin?: boolean }

/**
 * Everything about a new user that can be checked without its password, so the CLI
 * can ask for the password only once the rest is known to be right.
 */
export async function checkNewUser(env: AdminEnv, input: NewUser): Promise<{ address: string; quotaBytes: number }> {
  const a = requireFreeLocalAddress(env.ctx.directory, input.address);
  oneLine(input.displayName, 'display name');
  const leftover = await existingMaildir(env, a);
  if (leftover) env.warn(`${leftover} already exists (left by an earlier account with this address); the new user will see its messages`);
  return { address: a.address, quotaBytes: input.quotaBytes ?? env.ctx.settings.delivery.defaultQuotaBytes };
}

function checkPasswordRule(env: AdminEnv, password: string, address: string): void {
  if (env.local) return;
  const problem = passwordProblem(password, address, env.ctx.settings);
  if (problem) throw new TandemError('MAIL_ERR_WEAK_PASSWORD', 'invalid', problem);
}

export async function addUser(env: AdminEnv, input: NewUser & { password: string }): Promise<UserView> {
  const { address, quotaBytes } = await checkNewUser(env, input);
  checkPasswordRule(env, input.password, address);
  const u = await env.ctx.directory.addUser({ address, password: input.password, displayName: input.displayName?.trim() ?? '', quotaBytes, enabled: input.enabled ?? true });
  if (input.admin) env.web.setAdmin(u.address, true);
  return userView(env, u);
}

export interface UserChanges { displayName?: string; quotaBytes?: number; enabled?: boolean; admin?: boolean; home?: string | null }

/** Changes a user; disabling (or taking admin away) ends their web sessions. */
export function updateUser(env: AdminEnv, address: string, changes: UserChanges): UserView {
  const u = requireUser(env, address);
  if (Object.values(changes).every((v) => v === undefined)) throw invalid('nothing to change: give displayName, quotaBytes, enabled, admin or home');
  const settings = env.ctx.settings;
  // "local" (or this system's own name) means the mailbox is here.
  const home = changes.home === undefined ? undefined : changes.home === null || changes.home === 'local' || changes.home === settings.accounts.system ? null : changes.home;
  if (home && !(home in settings.accounts.members)) {
    env.warn(`"${home}" is not in accounts.members of this volume; mail for ${u.address} will wait in the queue until it is`);
  }
  const after = env.ctx.directory.updateUser(u.address, {
    displayName: changes.displayName !== undefined ? oneLine(changes.displayName, 'display name')!.trim() : undefined,
    quotaBytes: changes.quotaBytes, enabled: changes.enabled, home,
  });
  if (changes.admin !== undefined) env.web.setAdmin(after.address, changes.admin);
  if (changes.enabled === false || changes.admin === false) env.web.endSessionsOf(after.address);
  return userView(env, after);
}

/** Resets a password; the user's web sessions end. */
export async function setPassword(env: AdminEnv, address: string, password: string): Promise<void> {
  const u = requireUser(env, address);
  checkPasswordRule(env, password, u.address);
  await env.ctx.directory.setPassword(u.address, password);
  env.web.endSessionsOf(u.address);
}

/**
 * Checks that a Maildir may be removed recursively: strictly inside mail/ and a real
 * directory (a symlink could point at anything on the host).
 */
async function checkPurgeable(env: AdminEnv, path: string): Promise<void> {
  const root = resolve(env.ctx.layout.mailDir) + sep;
  if (!resolve(path).startsWith(root)) throw new TandemError('MAIL_ERR_UNSAFE', 'not-possible', `refusing to remove ${path}: it is not inside ${env.ctx.layout.mailDir}; nothing was changed`);
  const st = await lstat(path);
  if (!st.isDirectory()) throw new TandemError('MAIL_ERR_UNSAFE', 'not-possible', `refusing to remove ${path}: it is not a directory (a symlink?); nothing was changed`);
}

export interface DeletedUser { address: string; maildir: string | null; purged: boolean }

/** Deletes a user; its Maildir stays unless `purge` (then it is removed for good). */
export async function deleteUser(env: AdminEnv, address: string, purge: boolean): Promise<DeletedUser> {
  const u = requireUser(env, address);
  const maildir = await existingMaildir(env, u);
  if (maildir && purge) await checkPurgeable(env, maildir);
  // The account goes before its files: from then on nothing new is delivered there.
  env.ctx.directory.deleteUser(u.address);
  env.web.endSessionsOf(u.address);
  if (maildir && purge) await rm(maildir, { recursive: true });
  warnReferences(env, u.address);
  return { address: u.address, maildir, purged: Boolean(maildir && purge) };
}

// ---- aliases ----------------------------------------------------------------

export type TargetKinds = Array<{ target: string; kind: string }>;

function requireAlias(env: AdminEnv, text: string): Alias {
  const { address } = requireAddress(text);
  const alias = env.ctx.directory.getAlias(address);
  if (!alias) throw notFound(`alias ${address} does not exist`);
  return alias;
}

export function listAliases(env: AdminEnv, domain?: string): Alias[] {
  return env.ctx.directory.listAliases(requireLocalDomain(env.ctx.directory, domain));
}

export function showAlias(env: AdminEnv, address: string): Alias {
  return requireAlias(env, address);
}

/** What each target of an alias is here: user, alias, list, remote, or missing (a bounce). */
export function aliasTargetKinds(env: AdminEnv, address: string): TargetKinds {
  return requireAlias(env, address).targets.map((target) => {
    const r = env.ctx.directory.resolve(target);
    return { target, kind: !r ? 'invalid' : r.kind === 'unknown-local' ? 'missing' : r.kind };
  });
}

export function addAlias(env: AdminEnv, address: string, targets: string[]): Alias {
  const a = requireFreeLocalAddress(env.ctx.directory, address);
  const normalized = targets.map((t) => requireAddress(t, 'target').address);
  if (normalized.length === 0) throw invalid('an alias needs at least one target address');
  if (normalized.includes(a.address)) throw invalid(`alias ${a.address} cannot point to itself`);
  for (const t of normalized) warnIfDangling(env, t, 'target');
  return env.ctx.directory.addAlias(a.address, normalized);
}

export function deleteAlias(env: AdminEnv, address: string): void {
  const a = requireAlias(env, address);
  env.ctx.directory.deleteAlias(a.address);
  warnReferences(env, a.address);
}

// ---- mailing lists ----------------------------------------------------------

export interface ListPolicy { description?: string; posting?: PostingPolicy; replyTo?: ReplyToPolicy }

function requireList(env: AdminEnv, text: string): MailingList {
  const { address } = requireAddress(text, 'list');
  const list = env.ctx.directory.getList(address);
  if (!list) throw notFound(`list ${address} does not exist`);
  return list;
}

/** A moderated list without moderators accepts no post at all; say so at once. */
function warnIfUnpostable(env: AdminEnv, list: MailingList): MailingList {
  if (list.posting === 'moderators' && !list.members.some((m) => m.role === 'moderator')) {
    env.warn(`list ${list.address} has posting "moderators" but no moderator yet; add one with "tandem mail list member add ${list.address} ADDRESS --moderator"`);
  }
  return list;
}

export function listLists(env: AdminEnv, domain?: string): MailingList[] {
  return env.ctx.directory.listLists(requireLocalDomain(env.ctx.directory, domain));
}

export function showList(env: AdminEnv, address: string): MailingList {
  return requireList(env, address);
}

export function addList(env: AdminEnv, input: ListPolicy & { address: string }): MailingList {
  const a = requireFreeLocalAddress(env.ctx.directory, input.address);
  const created = env.ctx.directory.addList({ address: a.address, description: oneLine(input.description, 'description'), posting: input.posting, replyTo: input.replyTo });
  return warnIfUnpostable(env, created);
}

export function updateList(env: AdminEnv, address: string, changes: ListPolicy): MailingList {
  const l = requireList(env, address);
  if (Object.values(changes).every((v) => v === undefined)) throw invalid('nothing to change: give description, posting or replyTo');
  const after = env.ctx.directory.updateList(l.address, { description: oneLine(changes.description, 'description'), posting: changes.posting, replyTo: changes.replyTo });
  return warnIfUnpostable(env, after);
}

export function deleteList(env: AdminEnv, address: string): void {
  const l = requireList(env, address);
  env.ctx.directory.deleteList(l.address);
  warnReferences(env, l.address);
}

/** Adds a member or moderator, or changes the role of one already there. */
export function addListMember(env: AdminEnv, listAddress: string, member: string, role: 'member' | 'moderator'): MailingList {
  const l = requireList(env, listAddress);
  const m = requireAddress(member, 'member').address;
  if (m === l.address) throw invalid(`list ${l.address} cannot be a member of itself`);
  warnIfDangling(env, m, 'member');
  env.ctx.directory.addListMember(l.address, m, role);
  return warnIfUnpostable(env, env.ctx.directory.getList(l.address)!);
}

export function removeListMember(env: AdminEnv, listAddress: string, member: string): MailingList {
  const l = requireList(env, listAddress);
  const m = requireAddress(member, 'member').address;
  if (!l.members.some((x) => x.address === m)) throw notFound(`${m} is not a member of ${l.address}`);
  env.ctx.directory.removeListMember(l.address, m);
  return warnIfUnpostable(env, env.ctx.directory.getList(l.address)!);
}

// ---- admin console access and API tokens ------------------------------------

export function listAdmins(env: AdminEnv): Array<{ address: string }> {
  return env.web.listAdmins().map((address) => ({ address }));
}

/** Lets a user log in to the admin console. */
export function grantAdmin(env: AdminEnv, address: string): { address: string } {
  const a = requireLocalAddress(env.ctx.directory, address, 'user').address;
  if (!env.ctx.directory.getUser(a)) throw notFound(`${a} is not a user (only users can log in)`);
  env.web.setAdmin(a, true);
  return { address: a };
}

/** Takes the console away; the user's open sessions end. */
export function revokeAdmin(env: AdminEnv, address: string): void {
  const a = address.trim().toLowerCase();
  if (!env.web.isAdmin(a)) throw notFound(`${a} is not an admin`);
  env.web.setAdmin(a, false);
  env.web.endSessionsOf(a);
}

export function listTokens(env: AdminEnv): Array<{ id: string; name: string; createdAt: string; lastUsedAt: string | null }> {
  return env.web.listTokens().map((t) => ({ id: t.id, name: t.name, createdAt: iso(t.createdAt), lastUsedAt: t.lastUsedAt === null ? null : iso(t.lastUsedAt) }));
}

export function createToken(env: AdminEnv, name: string): { id: string; name: string; token: string } {
  const t = env.web.createToken(name);
  return { id: t.id, name: name.trim(), token: t.token };
}

export function revokeToken(env: AdminEnv, id: string): void {
  env.web.revokeToken(id.trim());
}
