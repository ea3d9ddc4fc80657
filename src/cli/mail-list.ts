// `tandem mail list add|del|list|show|set` and `list member add|del`: mailing lists with
// a posting policy (who may send to the list) and a reply-to policy (where replies go).
import { Option, type Command } from 'commander';
import type { Directory, MailingList, PostingPolicy, ReplyToPolicy } from '../mail/directory/directory.ts';
import { action, CliError, printTable } from './io.ts';
import {
  withDataOption, withAccounts, requireAddress, requireFreeLocalAddress, requireLocalDomain,
  warnIfDangling, referencesTo, warnReferences, printRecord, done,
} from './mail-accounts.ts';

interface DataOpts { data: string }
interface JsonOpts extends DataOpts { json?: boolean }
interface PolicyOpts extends DataOpts { description?: string; posting?: PostingPolicy; replyTo?: ReplyToPolicy }

const POSTING: PostingPolicy[] = ['members', 'anyone', 'moderators'];
const REPLY_TO: ReplyToPolicy[] = ['sender', 'list'];

/** The policy options shared by `list add` and `list set`, declared once. */
function withPolicyOptions(cmd: Command): Command {
  return cmd
    .option('--description <text>', 'one line saying what the list is for')
    .addOption(new Option('--posting <policy>', 'who may post: members (of the list), anyone, or moderators only').choices(POSTING))
    .addOption(new Option('--reply-to <policy>', 'where replies go: sender (the author) or list (everyone)').choices(REPLY_TO));
}

function requireList(dir: Directory, text: string): MailingList {
  const { address } = requireAddress(text, 'list');
  const list = dir.getList(address);
  if (!list) throw new CliError(`list ${address} does not exist`);
  return list;
}

function checkDescription(text: string | undefined): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (text !== undefined && /[\x00-\x1f\x7f]/.test(text)) throw new CliError('description must be one line without control characters');
  return text;
}

/** A moderated list without moderators accepts no post at all; say so at once. */
function warnIfUnpostable(list: MailingList): void {
  if (list.posting === 'moderators' && !list.members.some((m) => m.role === 'moderator')) {
    process.stderr.write(`tandem: warning: list ${list.address} has posting "moderators" but no moderator yet; add one with "tandem mail list member add ${list.address} ADDRESS --moderator"\n`);
  }
}

function describe(list: MailingList, json: boolean): Record<string, unknown> {
  if (json) return { ...list };
  return {
    address: list.address, description: list.description, posting: list.posting, 'reply-to': list.replyTo,
    members: list.members.map((m) => (m.role === 'moderator' ? `${m.address} (moderator)` : m.address)),
  };
}

export function registerListCommands(mail: Command): void {
  const list = mail.command('list').description('mailing lists: members, moderators, posting and reply-to policies');

  withPolicyOptions(withDataOption(list.command('add')))
    .description('add a mailing list (defaults: --posting members, --reply-to sender)')
    .argument('<address>', 'list address in a local domain, e.g. team@example.com')
    .action(action(async (address: string, opts: PolicyOpts) => withAccounts(opts.data, ({ directory }) => {
      const a = requireFreeLocalAddress(directory, address);
      const created = directory.addList({ address: a.address, description: checkDescription(opts.description), posting: opts.posting, replyTo: opts.replyTo });
      done(`added list ${created.address} (posting: ${created.posting}, reply-to: ${created.replyTo})`);
      warnIfUnpostable(created);
    })));

  withDataOption(list.command('del'))
    .description('delete a mailing list and its member list')
    .argument('<address>', 'list address')
    .action(action(async (address: string, opts: DataOpts) => withAccounts(opts.data, ({ directory }) => {
      const l = requireList(directory, address);
      const references = referencesTo(directory, l.address);
      directory.deleteList(l.address);
      done(`deleted list ${l.address} (it had ${l.members.length} member${l.members.length === 1 ? '' : 's'})`);
      warnReferences(references, l.address);
    })));

  withDataOption(list.command('list'))
    .description('list the mailing lists')
    .option('--domain <domain>', 'only lists of this domain')
    .option('--json', 'print JSON (with members)')
    .action(action(async (opts: JsonOpts & { domain?: string }) => withAccounts(opts.data, ({ directory }) => {
      const domain = opts.domain !== undefined ? requireLocalDomain(directory, opts.domain) : undefined;
      const lists = directory.listLists(domain);
      if (opts.json) {
        printTable(lists.map((l) => ({ ...l })), true);
        return;
      }
      printTable(lists.map((l) => ({
        address: l.address, posting: l.posting, 'reply-to': l.replyTo, members: l.members.length, description: l.description,
      })), false);
    })));

  withDataOption(list.command('show'))
    .description('show a list: policies and members')
    .argument('<address>', 'list address')
    .option('--json', 'print JSON')
    .action(action(async (address: string, opts: JsonOpts) => withAccounts(opts.data, ({ directory }) => {
      printRecord(describe(requireList(directory, address), opts.json ?? false), opts.json ?? false);
    })));

  withPolicyOptions(withDataOption(list.command('set')))
    .description('change a list\'s description, posting or reply-to policy')
    .argument('<address>', 'list address')
    .action(action(async (address: string, opts: PolicyOpts) => withAccounts(opts.data, ({ directory }) => {
      const l = requireList(directory, address);
      const changes = { description: checkDescription(opts.description), posting: opts.posting, replyTo: opts.replyTo };
      if (Object.values(changes).every((v) => v === undefined)) throw new CliError('nothing to change: give --description, --posting or --reply-to');
      const after = directory.updateList(l.address, changes);
      done(`updated list ${after.address} (posting: ${after.posting}, reply-to: ${after.replyTo})`);
      warnIfUnpostable(after);
    })));

  const member = list.command('member').description('add or remove list members and moderators');

  withDataOption(member.command('add'))
    .description('add a member to a list, or change its role')
    .argument('<list>', 'list address')
    .argument('<address>', 'member address (local or remote)')
    .option('--moderator', 'as a moderator (may post to a moderated list)')
    .action(action(async (listAddress: string, address: string, opts: DataOpts & { moderator?: boolean }) => withAccounts(opts.data, ({ directory }) => {
      const l = requireList(directory, listAddress);
      const m = requireAddress(address, 'member').address;
      if (m === l.address) throw new CliError(`list ${l.address} cannot be a member of itself`);
      const role = opts.moderator ? 'moderator' : 'member';
      const before = l.members.find((x) => x.address === m);
      warnIfDangling(directory, m, 'member');
      directory.addListMember(l.address, m, role);
      if (!before) done(`added ${m} to ${l.address} as ${role}`);
      else if (before.role === role) done(`${m} is already a ${role} of ${l.address}`);
      else done(`${m} is now a ${role} of ${l.address} (was ${before.role})`);
      warnIfUnpostable(directory.getList(l.address)!);
    })));

  withDataOption(member.command('del'))
    .description('remove a member from a list')
    .argument('<list>', 'list address')
    .argument('<address>', 'member address')
    .action(action(async (listAddress: string, address: string, opts: DataOpts) => withAccounts(opts.data, ({ directory }) => {
      const l = requireList(directory, listAddress);
      const m = requireAddress(address, 'member').address;
      if (!l.members.some((x) => x.address === m)) throw new CliError(`${m} is not a member of ${l.address}`);
      directory.removeListMember(l.address, m);
      done(`removed ${m} from ${l.address}`);
      warnIfUnpostable(directory.getList(l.address)!);
    })));
}
