// DATA: receive the message (bounded by the size limit, the process memory budget and
// the data timeout), add the trace and missing origination fields, deliver every copy
// durably, and only then reply (DESIGN 3.1). A client that disconnects mid-DATA, or
// a message over a limit, leaves nothing behind in any mailbox or in the queue.
import { randomBytes } from 'node:crypto';
import type { SMTPServerDataStream, SMTPServerSession, SMTPServerOptions } from 'smtp-server';
import type { SmtpShared } from './session-state.ts';
import type { TandemSmtpServer } from './connection.ts';
import { smtpError, recipientAddress, safeCall } from './hooks.ts';
import { REPLIES, formatReply, isTemporary, type Reply } from '../proto/reply.ts';
import { receivedHeader, missingOriginationFields } from '../proto/received.ts';
import { decideDataReply } from '../policy/data-reply.ts';
import { deliverMessage, sendBounce, deferToQueue, type EnvelopeRecipient } from '../../delivery/deliver.ts';
import { hasHeader, prependHeaders, editHeaders } from '../../delivery/message/headers.ts';
import { errorId } from '../../../lib/errors.ts';

type Done = (err?: Error | null, message?: string) => void;

type Notify = NonNullable<EnvelopeRecipient['notify']>;

/**
 * Receives the stream into memory, or says why it could not. A received message keeps
 * its share of the memory budget until the caller gives it back (after delivery, since
 * the copies made on the way count too).
 */
function collect(stream: SMTPServerDataStream, shared: SmtpShared, timeoutMs: number, onTimeout: () => void): Promise<{ data: Buffer; held: number } | Reply | 'gone'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let held = 0;
    let refusal: Reply | null = null;
    let settled = false;
    const finish = (v: Buffer | Reply | 'gone') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (Buffer.isBuffer(v)) return resolve({ data: v, held });
      shared.budget.give(held);
      held = 0;
      resolve(v);
    };
    const timer = setTimeout(() => {
      chunks.length = 0;
      onTimeout();
      finish('gone');
    }, timeoutMs);
    stream.on('data', (chunk: Buffer) => {
      if (refusal || settled) return;
      if (stream.sizeExceeded) refusal = REPLIES.messageTooBig(shared.ctx.settings.limits.messageSizeBytes);
      else if (!shared.budget.tryTake(chunk.length)) refusal = REPLIES.serverBusy();
      else {
        held += chunk.length;
        chunks.push(chunk);
        return;
      }
      // Over a limit: drop what we hold, keep draining so the client gets the reply.
      chunks.length = 0;
      shared.budget.give(held);
      held = 0;
    });
    stream.on('end', () => {
      if (refusal) return finish(refusal);
      if (stream.sizeExceeded) return finish(REPLIES.messageTooBig(shared.ctx.settings.limits.messageSizeBytes));
      finish(Buffer.concat(chunks));
    });
    // The client went away before the final dot: nothing was stored, nothing will be.
    stream.on('error', () => finish('gone'));
    stream.on('close', () => finish('gone'));
  });
}

/**
 * After a 250 for a partly delivered message: recipients that failed temporarily are
 * queued for retry (the queue runner delivers them locally on its schedule and bounces
 * if it gives up); permanent failures get a bounce now, unless NOTIFY excluded it.
 */
async function settleFailed(
  shared: SmtpShared, failed: ReadonlyArray<{ recipient: string; reply: Reply }>, recipients: readonly EnvelopeRecipient[],
  sender: string, data: Buffer, ret: 'FULL' | 'HDRS' | undefined, envid: string | undefined,
): Promise<boolean> {
  let settled = true;
  const temp = failed.filter((f) => isTemporary(f.reply)).map((f) => f.recipient);
  if (temp.length > 0) settled = await deferToQueue(shared.deps, sender, temp, data);
  const wantsBounce = (rcpt: string) => (recipients.find((r) => r.address === rcpt)?.notify ?? ['FAILURE']).includes('FAILURE');
  const bounce = failed.filter((f) => !isTemporary(f.reply) && wantsBounce(f.recipient)).map((f) => {
    const orcpt = recipients.find((r) => r.address === f.recipient)?.orcpt;
    return { recipient: f.recipient, reply: f.reply, ...(orcpt ? { orcpt } : {}) };
  });
  if (sender !== '' && bounce.length > 0) {
    settled = (await sendBounce(shared.deps, { to: sender, failures: bounce, original: data, ...(ret ? { ret } : {}), ...(envid ? { envid } : {}) })) && settled;
  }
  return settled;
}

export function dataHook(shared: SmtpShared, server: () => TandemSmtpServer): Pick<SMTPServerOptions, 'onData'> {
  const { ctx, deps } = shared;
  const limits = ctx.settings.limits;
  return {
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: Done) {
      const done: Done = (err, message) => safeCall(shared, 'data', () => callback(err, message));
      const id = `${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
      const onTimeout = () => {
        const r = REPLIES.dataTimeout(limits.dataTimeoutSeconds);
        ctx.log.info({ event: 'smtp.data.timeout', session: session.id, ip: session.remoteAddress });
        server().connectionFor(session.id)?.send(r.code, formatReply(r).slice(4));
      };
      collect(stream, shared, limits.dataTimeoutSeconds * 1000, onTimeout).then(async (got) => {
        if (got === 'gone') return done(smtpError(REPLIES.storageFailure(id)));
        if (!('data' in got)) {
          ctx.log.info({ event: 'smtp.data.rejected', session: session.id, reason: got.text });
          return done(smtpError(got));
        }
        const reply = await receive(session, got.data, id).finally(() => shared.budget.give(got.held));
        done(reply.code < 300 ? null : smtpError(reply), `${reply.enhanced} ${reply.text}`);
      }).catch((err: unknown) => {
        const ref = errorId();
        ctx.log.error({ event: 'smtp.data.failed', err, ref, session: session.id });
        done(smtpError(REPLIES.storageFailure(ref)));
      });
    },
  };

  async function receive(session: SMTPServerSession, raw: Buffer, id: string): Promise<Reply> {
    const now = new Date();
    const env = session.envelope;
    const sender = env.mailFrom ? env.mailFrom.address : '';
    const recipients: EnvelopeRecipient[] = env.rcptTo.map((r) => ({
      address: recipientAddress(r.address, ctx.settings.primaryDomain),
      ...(r.dsn?.notify ? { notify: r.dsn.notify as Notify } : {}),
      ...(r.dsn?.orcpt ? { orcpt: r.dsn.orcpt } : {}),
    }));
    let data = raw;
    // RFC 6409 8.2/8.3: a submission server may complete a message its user sent.
    if (typeof session.user === 'string') {
      const add = missingOriginationFields({ date: hasHeader(raw, 'Date'), messageId: hasHeader(raw, 'Message-ID') }, ctx.settings.hostname, id, now);
      if (add.length > 0) data = editHeaders(data, { add });
    }
    data = prependHeaders(data, [receivedHeader({
      helo: session.hostNameAppearsAs, clientHostname: session.clientHostname, remoteAddress: session.remoteAddress,
      hostname: ctx.settings.hostname, protocol: session.transmissionType, id,
      tls: session.tlsOptions ? { protocol: session.tlsOptions.version ?? null, cipher: session.tlsOptions.name } : null,
      ...(recipients.length === 1 ? { recipient: recipients[0]!.address } : {}),
      date: now,
    })]);
    const dsn = env.dsn;
    const ret = dsn?.ret === 'FULL' || dsn?.ret === 'HDRS' ? dsn.ret : undefined;
    const outcome = await deliverMessage(deps, {
      sender, recipients,
      ...(ret ? { ret } : {}),
      ...(dsn?.envid ? { envid: dsn.envid } : {}),
      receivedFrom: `${session.hostNameAppearsAs || 'unknown'} [${session.remoteAddress}]`,
    }, data, shared.lookup(session));
    let decision = decideDataReply(outcome.recipients, id);
    if (decision.reply.code < 300) {
      const settled = outcome.settled && (await settleFailed(shared, decision.failed, recipients, sender, data, ret, dsn?.envid ?? undefined));
      // Something could not be queued: better a retry with duplicates than a lost copy.
      if (!settled) decision = { reply: REPLIES.storageFailure(id), failed: [] };
    }
    ctx.log.info({
      event: 'smtp.message', id, session: session.id, sender, size: data.length,
      recipients: outcome.recipients.map((r) => `${r.recipient}=${r.ok ? 'ok' : r.reply.code}`), reply: decision.reply.code,
    });
    return decision.reply;
  }
}
