// Recipient expansion: what an envelope recipient turns into. Aliases (recursive, with
// loop and depth limits), catch-alls, mailing lists (posting policy, a copy group of
// their own with the list's bounce address as envelope sender) and the list service
// addresses "<list>-bounces@" and "<list>-owner@" (both reach the list's moderators).
// Pure: the directory arrives as a lookup function, so this is table-tested.
import type { Recipient, MailingList, User } from '../../directory/directory.ts';
import { parseAddress, formatAddress, stripSubaddress } from '../../core/address.ts';
import { REPLIES, type Reply } from '../../smtp/proto/reply.ts';

export type Lookup = (address: string) => Recipient | null;

/** Copies that share an envelope sender and a header edit (the direct mail, or one list). */
export interface CopyGroup {
  /** Envelope sender (Return-Path) of these copies. */
  readonly sender: string;
  /** The list this group is the distribution of, or null for direct delivery. */
  readonly list: MailingList | null;
  readonly mailboxes: Array<{ user: User; origins: string[] }>;
  readonly remotes: Array<{ address: string; origins: string[] }>;
}

export interface Expansion {
  /** groups[0] is direct delivery with the original sender; list groups follow. */
  readonly groups: CopyGroup[];
  /** Original recipients that lead nowhere, with the reason. */
  readonly failures: Array<{ recipient: string; reply: Reply }>;
  /** Targets skipped inside an alias or list that still reached others (for the log). */
  readonly skipped: Array<{ address: string; reply: Reply }>;
}

export interface ExpandOptions {
  readonly lookup: Lookup;
  /** Envelope sender, "" for the null sender; list posting policy is judged on it. */
  readonly sender: string;
  /** Alias/list nesting allowed. */
  readonly maxDepth?: number;
}

export const DEFAULT_MAX_DEPTH = 10;

/** "<list>-bounces@domain": the envelope sender of list copies; bounces go to moderators. */
export function listBounceAddress(listAddress: string): string {
  const at = listAddress.lastIndexOf('@');
  return `${listAddress.slice(0, at)}-bounces${listAddress.slice(at)}`;
}

/** "<list>-owner@domain": the human contact of a list (its moderators). */
export function listOwnerAddress(listAddress: string): string {
  const at = listAddress.lastIndexOf('@');
  return `${listAddress.slice(0, at)}-owner${listAddress.slice(at)}`;
}

/** What an address means: the directory's answer, or a list service address. */
export type Resolved = Recipient | { kind: 'list-service'; address: string; list: MailingList };

/** The directory's answer, plus the list service addresses the directory does not store. */
export function resolveAddress(lookup: Lookup, address: string): Resolved | null {
  const r = lookup(address);
  if (!r || (r.kind !== 'unknown-local' && r.kind !== 'catchall')) return r;
  const m = /^(.+)-(bounces|owner)@(.+)$/.exec(r.address);
  if (m) {
    const base = lookup(`${m[1]}@${m[3]}`);
    if (base?.kind === 'list') return { kind: 'list-service', address: r.address, list: base.list };
  }
  return r;
}

function mayPost(list: MailingList, sender: string): boolean {
  if (list.posting === 'anyone') return true;
  const parsed = parseAddress(sender);
  if (!parsed) return false;
  // "alice+lists@" posts as alice@.
  const ids = new Set([formatAddress(parsed), formatAddress(stripSubaddress(parsed))]);
  const member = list.members.find((m) => ids.has(m.address));
  if (!member) return false;
  return list.posting === 'members' || member.role === 'moderator';
}

function newGroup(sender: string, list: MailingList | null): CopyGroup {
  return { sender, list, mailboxes: [], remotes: [] };
}

/** Expands envelope recipients into copy groups. Never throws. */
export function expandRecipients(recipients: readonly string[], opts: ExpandOptions): Expansion {
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  const direct = newGroup(opts.sender, null);
  const groups: CopyGroup[] = [direct];
  const listGroups = new Map<string, CopyGroup>();
  const failures: Expansion['failures'] = [];
  const skipped: Expansion['skipped'] = [];

  // Returns the number of targets reached, or the reason none was.
  const walk = (address: string, origin: string, group: CopyGroup, path: string[]): number | Reply => {
    const parsed = parseAddress(address);
    const key = parsed ? `${parsed.local}@${parsed.domain}` : address;
    if (path.includes(key)) return REPLIES.aliasLoop([...path, key]);
    if (path.length > maxDepth) return REPLIES.aliasTooDeep(path[0] ?? key, maxDepth);
    const r = resolveAddress(opts.lookup, address);
    if (!r) return REPLIES.badRecipientSyntax(address);
    const here = [...path, r.address];
    const fanOut = (targets: readonly string[], into: CopyGroup): number | Reply => {
      let reached = 0;
      let firstFailure: Reply | null = null;
      for (const t of targets) {
        const res = walk(t, origin, into, here);
        if (typeof res === 'number') reached += res;
        else {
          firstFailure ??= res;
          skipped.push({ address: t, reply: res });
        }
      }
      if (reached > 0) return reached;
      return firstFailure ?? REPLIES.noTargets(r.address);
    };
    switch (r.kind) {
      case 'user': {
        if (!r.user.enabled) return REPLIES.disabledUser(r.address);
        // A user whose mailbox lives on another member system (S7) is sent there through
        // the queue, which routes it to that system (accounts.members).
        if (r.user.home) {
          if (!group.remotes.some((x) => x.address === r.user.address)) group.remotes.push({ address: r.user.address, origins: [origin] });
          else group.remotes.find((x) => x.address === r.user.address)!.origins.push(origin);
          return 1;
        }
        // Forwarding (webmail settings) works like a one-user alias, with or without the
        // user's own copy; a forward back to the user is a loop and is skipped.
        if (r.forward) {
          const reached = fanOut(r.forward.targets, group);
          if (!r.forward.keepCopy) return reached;
        }
        const existing = group.mailboxes.find((m) => m.user.address === r.user.address);
        if (existing) { if (!existing.origins.includes(origin)) existing.origins.push(origin); }
        else group.mailboxes.push({ user: r.user, origins: [origin] });
        return 1;
      }
      case 'remote': {
        // A remote local part may be case-sensitive (RFC 5321 2.4): keep it as given.
        const at = address.lastIndexOf('@');
        const exact = `${address.slice(0, at).trim()}@${r.address.slice(r.address.lastIndexOf('@') + 1)}`;
        const existing = group.remotes.find((x) => x.address === exact);
        if (existing) { if (!existing.origins.includes(origin)) existing.origins.push(origin); }
        else group.remotes.push({ address: exact, origins: [origin] });
        return 1;
      }
      case 'unknown-local':
        return REPLIES.unknownUser(r.address);
      case 'alias':
        return fanOut(r.alias.targets, group);
      case 'catchall':
        return fanOut([r.target], group);
      case 'list-service':
        return fanOut(r.list.members.filter((m) => m.role === 'moderator').map((m) => m.address), group);
      case 'list': {
        // A list inside a list distribution only adds members: the outer list already
        // applied its posting policy and header edits.
        if (group.list) return fanOut(r.list.members.map((m) => m.address), group);
        if (!mayPost(r.list, opts.sender)) {
          return REPLIES.listNotPermitted(r.list.address, opts.sender, r.list.posting === 'moderators' ? 'moderators' : 'members');
        }
        let lg = listGroups.get(r.list.address);
        if (!lg) {
          lg = newGroup(listBounceAddress(r.list.address), r.list);
          listGroups.set(r.list.address, lg);
          groups.push(lg);
        }
        const res = fanOut(r.list.members.map((m) => m.address), lg);
        // An empty list still accepted the post: the list is the recipient.
        return typeof res === 'number' ? Math.max(res, 1) : r.list.members.length === 0 ? 1 : res;
      }
    }
  };

  for (const rcpt of recipients) {
    const res = walk(rcpt, rcpt, direct, []);
    if (typeof res !== 'number') failures.push({ recipient: rcpt, reply: res });
  }
  return { groups, failures, skipped };
}
