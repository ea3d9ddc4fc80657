// SELECT and EXAMINE (RFC 9051 6.3.2/6.3.3) with CONDSTORE (RFC 7162 3.1.8) and QRESYNC
// (RFC 7162 3.2.5): the mailbox's state, then its changes since the client's last visit.
// A failed SELECT leaves the session authenticated (the old mailbox is closed).
import { formatUntaggedStatus } from '../../proto/response.ts';
import { countResponse, fetchResponse, flagsResponse, listResponse } from '../../proto/untagged.ts';
import { SEPARATOR } from '../../proto/mailbox-name.ts';
import { flagsValue } from '../../proto/envelope.ts';
import { isTandemError } from '../../../../lib/errors.ts';
import { defineCommand, type Result, type SessionContext } from '../command.ts';
import { mailboxArg } from '../mailbox-arg.ts';
import { SelectedMailbox } from '../selected.ts';
import { authenticatedOf, type LoggedIn } from '../state.ts';
import { qresyncReport } from '../qresync.ts';
import type { Command } from '../../proto/command-types.ts';

const SYSTEM = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];
const MAX_KEYWORDS = 26;

type SelectCommand = Extract<Command, { name: 'SELECT' | 'EXAMINE' }>;

async function select(ctx: SessionContext, state: LoggedIn, cmd: SelectCommand): Promise<Result> {
  const readOnly = cmd.name === 'EXAMINE';
  const leftover = authenticatedOf(state);
  if (state.kind === 'selected' && (ctx.enabled.has('QRESYNC') || ctx.rev2)) {
    // RFC 7162 3.2.11 / RFC 9051 7.1: the old mailbox is closed; responses after this are for the new one.
    await ctx.send(formatUntaggedStatus('OK', 'previous mailbox closed', { code: 'CLOSED' }));
  }
  if (cmd.qresync && !ctx.enabled.has('QRESYNC')) return { status: 'BAD', text: 'QRESYNC parameter needs ENABLE QRESYNC first', next: leftover };
  const arg = mailboxArg(ctx, cmd.mailbox);
  if ('error' in arg) return { status: 'NO', text: arg.error, code: { code: 'NONEXISTENT' }, next: leftover };
  let ix;
  try {
    ix = await state.store.folder(arg.name);
    await ix.sync();
  } catch (e) {
    if (isTandemError(e)) return { status: 'NO', text: e.message, code: e.category === 'not-found' ? { code: 'NONEXISTENT' } : undefined, next: leftover };
    throw e;
  }
  if (cmd.condstore || cmd.qresync) ctx.condstore = true;
  const mailbox = new SelectedMailbox(arg.name, ix, readOnly, () => ctx.wake());
  mailbox.setWatch(ctx.deps.watches.acquire(ix, (reason) => mailbox.markGone(reason ?? `mailbox ${arg.name} was deleted or renamed by another program`)));

  const keywords = ix.definedKeywords();
  const msgs = ix.messages();
  await ctx.send(flagsResponse([...SYSTEM, ...keywords]));
  const permanent = readOnly ? [] : [...SYSTEM, ...keywords, ...(keywords.length < MAX_KEYWORDS ? ['\\*'] : [])];
  await ctx.send(formatUntaggedStatus('OK', readOnly ? 'no permanent flags in read-only mode' : 'flags stored permanently', { code: 'PERMANENTFLAGS', flags: permanent }));
  await ctx.send(countResponse(mailbox.exists, 'EXISTS'));
  if (!ctx.rev2) {
    await ctx.send(countResponse(0, 'RECENT'));
    const firstUnseen = msgs.findIndex((m) => !m.letters.includes('S'));
    if (firstUnseen >= 0) await ctx.send(formatUntaggedStatus('OK', 'first unseen message', { code: 'UNSEEN', value: firstUnseen + 1 }));
  }
  const status = ix.status();
  await ctx.send(formatUntaggedStatus('OK', 'UIDs valid', { code: 'UIDVALIDITY', value: status.uidValidity }));
  await ctx.send(formatUntaggedStatus('OK', 'predicted next UID', { code: 'UIDNEXT', value: status.uidNext }));
  await ctx.send(Buffer.from(`* OK [HIGHESTMODSEQ ${status.highestModseq}] highest mod-sequence\r\n`));
  // RFC 9051 6.3.2: an IMAP4rev2 client learns the mailbox's canonical name from LIST.
  if (ctx.rev2) await ctx.send(listResponse('LIST', [], SEPARATOR, ctx.encodeName(arg.name), false, ctx.format));

  if (cmd.qresync && cmd.qresync.uidValidity === status.uidValidity) {
    const report = qresyncReport(mailbox, cmd.qresync);
    if (report.vanished) await ctx.send(Buffer.from(`* VANISHED (EARLIER) ${report.vanished}\r\n`));
    for (const m of report.changed) {
      mailbox.noteReported(m.uid, m.modseq);
      await ctx.send(fetchResponse(mailbox.seqOf(m.uid), [['UID', m.uid], ['FLAGS', flagsValue(ix.flagsOf(m))], ['MODSEQ', [BigInt(m.modseq)]]], ctx.format));
    }
  }
  ctx.event('imap.select', { mailbox: arg.name, readOnly, messages: mailbox.exists });
  return {
    status: 'OK', text: `${cmd.name} completed`, code: { code: readOnly ? 'READ-ONLY' : 'READ-WRITE' },
    next: { kind: 'selected', user: state.user, store: state.store, mailbox },
  };
}

export const SELECT = defineCommand({ name: 'SELECT', states: ['authenticated', 'selected'], run: select });
export const EXAMINE = defineCommand({ name: 'EXAMINE', states: ['authenticated', 'selected'], run: select });
