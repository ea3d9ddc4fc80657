// APPEND (RFC 9051 6.3.12) with MULTIAPPEND (RFC 3502), UIDPLUS APPENDUID (RFC 4315) and
// APPENDLIMIT (RFC 7889). The OK comes only after the index made the message durable.
// Big literals arrive as temp files (literal-sink.ts); quota is checked before a
// synchronizing literal is accepted (session.ts) and again here for LITERAL+.
import { readUsage, exceedsQuota } from '../../../storage/quota.ts';
import { isTandemError } from '../../../../lib/errors.ts';
import { formatSequenceSet } from '../../proto/sequence-set.ts';
import { defineCommand, ok, no, bad } from '../command.ts';
import { mailboxArg } from '../mailbox-arg.ts';
import { clientFlags } from '../flags-arg.ts';
import { quotaOf } from '../quota-of.ts';

export const APPEND = defineCommand({
  name: 'APPEND',
  states: ['authenticated', 'selected'],
  async run(ctx, state, cmd) {
    const arg = mailboxArg(ctx, cmd.mailbox);
    if ('error' in arg) return no(arg.error, { code: 'TRYCREATE' });
    let ix;
    try {
      ix = await state.store.folder(arg.name);
    } catch (e) {
      // RFC 9051 6.3.12: a missing target gets [TRYCREATE] so the client can CREATE it.
      if (isTandemError(e, 'not-found')) return no(`mailbox ${arg.name} does not exist`, { code: 'TRYCREATE' });
      throw e;
    }
    const total = cmd.messages.reduce((n, m) => n + (Buffer.isBuffer(m.data) ? m.data.length : m.data.size), 0);
    if (cmd.messages.some((m) => (Buffer.isBuffer(m.data) ? m.data.length : m.data.size) > ctx.deps.limits.appendLimit)) {
      return no(`message too big (limit ${ctx.deps.limits.appendLimit} octets)`, { code: 'TOOBIG' });
    }
    const quota = quotaOf(ctx.deps, state);
    if (quota > 0) {
      const usage = await readUsage(state.store.root, quota);
      if (exceedsQuota(usage, quota, total)) {
        return no(`quota exceeded: ${usage.bytes} of ${quota} octets used, the message has ${total}`, { code: 'OVERQUOTA' });
      }
    }
    const prepared = [];
    for (const m of cmd.messages) {
      const flags = clientFlags(m.flags);
      if ('error' in flags) return bad(`APPEND: ${flags.error}`);
      prepared.push({ m, flags: flags.flags });
    }
    const uids: number[] = [];
    let uidValidity = ix.uidValidity;
    try {
      for (const { m, flags } of prepared) {
        const data = Buffer.isBuffer(m.data) ? m.data : (await ctx.literals.take(m.data.stream)).stream();
        const r = await ix.append(data, flags, m.date ? m.date.getTime() : undefined);
        uids.push(r.uid);
        uidValidity = r.uidValidity;
      }
    } catch (e) {
      // RFC 3502: MULTIAPPEND is all or nothing; take back what was already added.
      if (uids.length) await ix.expunge(uids, { onlyDeleted: false }).catch(() => undefined);
      throw e;
    }
    ctx.event('imap.append', { mailbox: arg.name, count: uids.length, octets: total });
    return ok('APPEND completed', { code: 'APPENDUID', uidValidity, uids: formatSequenceSet(uids, false) });
  },
});
