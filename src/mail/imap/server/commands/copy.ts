// COPY / UID COPY (RFC 9051 6.4.7) and MOVE / UID MOVE (RFC 6851) with COPYUID (RFC 4315).
// A missing target gets [TRYCREATE]; quota is checked before any file is linked.
import { readUsage, exceedsQuota } from '../../../storage/quota.ts';
import { isTandemError } from '../../../../lib/errors.ts';
import { formatSequenceSet } from '../../proto/sequence-set.ts';
import { formatUntaggedStatus } from '../../proto/response.ts';
import type { Command } from '../../proto/command-types.ts';
import { defineCommand, ok, no, type Result, type SessionContext } from '../command.ts';
import { mailboxArg } from '../mailbox-arg.ts';
import { quotaOf } from '../quota-of.ts';
import type { ImapState } from '../state.ts';

type Selected = Extract<ImapState, { kind: 'selected' }>;

async function transfer(ctx: SessionContext, state: Selected, cmd: Extract<Command, { name: 'COPY' | 'MOVE' }>): Promise<Result> {
  const mb = state.mailbox;
  const verb = `${cmd.uid ? 'UID ' : ''}${cmd.name}`;
  const move = cmd.name === 'MOVE';
  if (move && mb.readOnly) return no('mailbox is read-only (EXAMINE); messages cannot be moved out', { code: 'READ-ONLY' });
  const arg = mailboxArg(ctx, cmd.mailbox);
  if ('error' in arg) return no(arg.error, { code: 'TRYCREATE' });
  try {
    await state.store.folder(arg.name);
  } catch (e) {
    if (isTandemError(e, 'not-found')) return no(`mailbox ${arg.name} does not exist`, { code: 'TRYCREATE' });
    throw e;
  }
  const targets = mb.resolve(cmd.sequence, cmd.uid);
  const present = targets.filter((t) => t.m !== null);
  if (!cmd.uid && present.length < targets.length) return no('some of the messages were expunged by another session', { code: 'EXPUNGEISSUED' });
  if (present.length === 0) return ok(`${verb} completed (no messages)`);
  // A MOVE links and then unlinks: usage does not grow. A COPY does.
  const quota = move ? 0 : quotaOf(ctx.deps, state);
  if (quota > 0) {
    const size = present.reduce((n, t) => n + t.m!.size, 0);
    const usage = await readUsage(state.store.root, quota);
    if (exceedsQuota(usage, quota, size)) {
      return no(`quota exceeded: ${usage.bytes} of ${quota} octets used, copying adds ${size}`, { code: 'OVERQUOTA' });
    }
  }
  const uids = present.map((t) => t.uid);
  const r = move ? await state.store.move(mb.name, uids, arg.name) : await state.store.copy(mb.name, uids, arg.name);
  const code = r.pairs.length
    ? { code: 'COPYUID' as const, uidValidity: r.uidValidity, source: formatSequenceSet(r.pairs.map((p) => p[0]), false), dest: formatSequenceSet(r.pairs.map((p) => p[1]), false) }
    : undefined;
  ctx.event(move ? 'imap.move' : 'imap.copy', { from: mb.name, to: arg.name, count: r.pairs.length });
  if (move) {
    // RFC 6851 3.3: COPYUID goes in an untagged OK before the EXPUNGEs.
    if (code) await ctx.send(formatUntaggedStatus('OK', 'moved', code));
    return ok(`${verb} completed`);
  }
  return ok(`${verb} completed`, code);
}

export const COPY = defineCommand({ name: 'COPY', states: ['selected'], run: transfer });
export const MOVE = defineCommand({ name: 'MOVE', states: ['selected'], run: transfer });
