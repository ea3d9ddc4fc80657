// `tandem mail list add|del|list|show|set` and `list member add|del`: mailing lists with
// a posting policy (who may send to the list) and a reply-to policy (where replies go).
// Works on this host's volume (--data) or through the admin API at the VIP (--remote).
import { Option, type Command } from 'commander';
import type { MailingList, PostingPolicy, ReplyToPolicy } from '../mail/directory/directory.ts';
import { action, CliError, printTable } from './io.ts';
import { printRecord, done } from './mail-accounts.ts';
import { withTargetOptions, type TargetOpts } from './remote/target.ts';
import { withAdmin, seg } from './remote/admin.ts';
import { requireAddress } from '../mail/http/admin/account-ops.ts';

interface JsonOpts extends TargetOpts { json?: boolean }
interface PolicyOpts extends TargetOpts { description?: string; posting?: PostingPolicy; replyTo?: ReplyToPolicy }

const POSTING: PostingPolicy[] = ['members', 'anyone', 'moderators'];
const REPLY_TO: ReplyToPolicy[] = ['sender', 'list'];

/** The policy options shared by `list add` and `list set`, declared once. */
function withPolicyOptions(cmd: Command): Command {
  return cmd
    .option('--description <text>', 'one line saying what the list is for')
    .addOption(new Option('--posting <policy>', 'who may post: members (of the list), anyone, or moderators only').choices(POSTING))
    .addOption(new Option('--reply-to <policy>', 'where replies go: sender (the author) or list (everyone)').choices(REPLY_TO));
}

const policy = (opts: PolicyOpts) => ({ description: opts.description, posting: opts.posting, replyTo: opts.replyTo });

function describe(list: MailingList, json: boolean): Record<string, unknown> {
  if (json) return { ...list };
  return {
    address: list.address, description: list.description, posting: list.posting, 'reply-to': list.replyTo,
    members: list.members.map((m) => (m.role === 'moderator' ? `${m.address} (moderator)` : m.address)),
  };
}

export function registerListCommands(mail: Command): void {
  const list = mail.command('list').description('mailing lists: members, moderators, posting and reply-to policies');

  withPolicyOptions(withTargetOptions(list.command('add')))
    .description('add a mailing list (defaults: --posting members, --reply-to sender)')
    .argument('<address>', 'list address in a local domain, e.g. team@example.com')
    .action(action(async (address: string, opts: PolicyOpts) => withAdmin(opts, async (api) => {
      const created = await api.call<MailingList>('POST', '/lists', { body: { address, ...policy(opts) } });
      done(`added list ${created.address} (posting: ${created.posting}, reply-to: ${created.replyTo})`);
    })));

  withTargetOptions(list.command('del'))
    .description('delete a mailing list and its member list')
    .argument('<address>', 'list address')
    .action(action(async (address: string, opts: TargetOpts) => withAdmin(opts, async (api) => {
      const l = await api.call<MailingList>('GET', `/lists/${seg(address)}`);
      await api.call('DELETE', `/lists/${seg(l.address)}`);
      done(`deleted list ${l.address} (it had ${l.members.length} member${l.members.length === 1 ? '' : 's'})`);
    })));

  withTargetOptions(list.command('list'))
    .description('list the mailing lists')
    .option('--domain <domain>', 'only lists of this domain')
    .option('--json', 'print JSON (with members)')
    .action(action(async (opts: JsonOpts & { domain?: string }) => withAdmin(opts, async (api) => {
      const lists = await api.call<MailingList[]>('GET', '/lists', { query: { domain: opts.domain } });
      if (opts.json) {
        printTable(lists.map((l) => ({ ...l })), true);
        return;
      }
      printTable(lists.map((l) => ({
        address: l.address, posting: l.posting, 'reply-to': l.replyTo, members: l.members.length, description: l.description,
      })), false);
    })));

  withTargetOptions(list.command('show'))
    .description('show a list: policies and members')
    .argument('<address>', 'list address')
    .option('--json', 'print JSON')
    .action(action(async (address: string, opts: JsonOpts) => withAdmin(opts, async (api) => {
      printRecord(describe(await api.call<MailingList>('GET', `/lists/${seg(address)}`), opts.json ?? false), opts.json ?? false);
    })));

  withPolicyOptions(withTargetOptions(list.command('set')))
    .description('change a list\'s description, posting or reply-to policy')
    .argument('<address>', 'list address')
    .action(action(async (address: string, opts: PolicyOpts) => {
      if (Object.values(policy(opts)).every((v) => v === undefined)) throw new CliError('nothing to change: give --description, --posting or --reply-to');
      await withAdmin(opts, async (api) => {
        const after = await api.call<MailingList>('PATCH', `/lists/${seg(address)}`, { body: policy(opts) });
        done(`updated list ${after.address} (posting: ${after.posting}, reply-to: ${after.replyTo})`);
      });
    }));

  const member = list.command('member').description('add or remove list members and moderators');

  withTargetOptions(member.command('add'))
    .description('add a member to a list, or change its role')
    .argument('<list>', 'list address')
    .argument('<address>', 'member address (local or remote)')
    .option('--moderator', 'as a moderator (may post to a moderated list)')
    .action(action(async (listAddress: string, address: string, opts: TargetOpts & { moderator?: boolean }) => withAdmin(opts, async (api) => {
      const role = opts.moderator ? 'moderator' : 'member';
      const l = await api.call<MailingList>('GET', `/lists/${seg(listAddress)}`);
      const m = requireAddress(address, 'member').address;
      await api.call<MailingList>('PUT', `/lists/${seg(l.address)}/members/${seg(m)}`, { body: { role } });
      const before = l.members.find((x) => x.address === m);
      if (!before) done(`added ${m} to ${l.address} as ${role}`);
      else if (before.role === role) done(`${m} is already a ${role} of ${l.address}`);
      else done(`${m} is now a ${role} of ${l.address} (was ${before.role})`);
    })));

  withTargetOptions(member.command('del'))
    .description('remove a member from a list')
    .argument('<list>', 'list address')
    .argument('<address>', 'member address')
    .action(action(async (listAddress: string, address: string, opts: TargetOpts) => withAdmin(opts, async (api) => {
      const l = await api.call<MailingList>('GET', `/lists/${seg(listAddress)}`);
      const m = requireAddress(address, 'member').address;
      await api.call('DELETE', `/lists/${seg(l.address)}/members/${seg(m)}`);
      done(`removed ${m} from ${l.address}`);
    })));
}
