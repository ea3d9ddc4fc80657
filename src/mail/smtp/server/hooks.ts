// The session hooks smtp-server calls: connect admission, AUTH, MAIL FROM, RCPT TO,
// close. Each one gathers facts (directory, quota), asks policy/ for the decision and
// turns a refusal into the protocol reply. A thrown bug becomes "451 4.3.0 (ref)",
// never a crash.
import type { SMTPServerOptions, SMTPServerSession, SMTPServerAddress, SMTPServerAuthentication } from 'smtp-server';
import type { SmtpShared } from './session-state.ts';
import type { ListenerKind } from '../policy/relay.ts';
import { decideRecipient, decideSender } from '../policy/relay.ts';
import { REPLIES, type Reply } from '../proto/reply.ts';
import { expandRecipients, resolveAddress } from '../../delivery/policy/expand.ts';
import { readUsage, exceedsQuota } from '../../storage/quota.ts';
import { errorId } from '../../../lib/errors.ts';

/** An Error smtp-server turns into the reply "code enhanced text". */
export function smtpError(r: Reply): Error & { responseCode: number } {
  return Object.assign(new Error(`${r.enhanced} ${r.text}`), { responseCode: r.code });
}

type Done = (err?: Error | null) => void;

/**
 * Calls a library callback from a promise chain: if it threw there, the rejection
 * would be unhandled and end the process, so it is logged instead.
 */
export function safeCall(shared: SmtpShared, what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    shared.ctx.log.error({ event: 'smtp.callback.failed', what, err });
  }
}

/** Runs a hook body; a reply value refuses, an exception is logged and tempfails. */
function guard(shared: SmtpShared, hook: string, done: Done, body: () => Promise<Reply | null>): void {
  body().then(
    (r) => safeCall(shared, hook, () => done(r ? smtpError(r) : null)),
    (err: unknown) => {
      const ref = errorId();
      shared.ctx.log.error({ event: 'smtp.hook.failed', hook, err, ref });
      safeCall(shared, hook, () => done(smtpError(REPLIES.storageFailure(ref))));
    },
  );
}

/** RCPT TO:<postmaster> without a domain (RFC 5321 4.1.1.3) means the primary domain's. */
export function recipientAddress(raw: string, primaryDomain: string): string {
  return raw.toLowerCase() === 'postmaster' ? `postmaster@${primaryDomain}` : raw;
}

export function sessionHooks(shared: SmtpShared, listener: ListenerKind): Pick<SMTPServerOptions, 'onConnect' | 'onAuth' | 'onMailFrom' | 'onRcptTo' | 'onClose'> {
  const { ctx } = shared;
  const log = ctx.log;
  return {
    onConnect(session: SMTPServerSession, done: Done) {
      const info = shared.open(session, listener);
      if (shared.drainReply) {
        // RFC 5321 3.8: a server that must not serve answers 421 at once; the client retries.
        log.info({ event: 'smtp.connect.drained', ip: info.ip, listener });
        return done(smtpError(shared.drainReply));
      }
      const refusal = shared.limits.admit(info.ip);
      if (refusal) {
        log.info({ event: 'smtp.connect.refused', ip: info.ip, listener, reason: refusal.text });
        return done(smtpError(refusal));
      }
      info.admitted = true;
      log.debug({ event: 'smtp.connect', ip: info.ip, listener, session: session.id });
      done();
    },

    onAuth(auth: SMTPServerAuthentication, session: SMTPServerSession, done: (err: Error | null | undefined, res?: { user?: string; message?: string; responseCode?: number }) => void) {
      const ip = shared.info(session)?.ip ?? session.remoteAddress;
      const username = auth.username ?? '';
      if (!session.secure && !shared.plaintextAuthAllowed(session.remoteAddress)) return done(smtpError(REPLIES.encryptionRequired()));
      const throttled = shared.throttle.check(ip, username);
      if (throttled) {
        log.info({ event: 'smtp.auth.throttled', ip, user: username, reason: throttled.text });
        return done(smtpError(throttled));
      }
      ctx.directory.authenticate(username, auth.password ?? '').then((user) => {
        if (!user) {
          shared.throttle.recordFailure(ip, username);
          log.info({ event: 'smtp.auth.failed', ip, user: username, listener });
          const r = REPLIES.authFailed();
          return safeCall(shared, 'auth', () => done(null, { message: `${r.enhanced} ${r.text}`, responseCode: r.code }));
        }
        log.info({ event: 'smtp.auth.ok', ip, user: user.address, listener });
        safeCall(shared, 'auth', () => done(null, { user: user.address }));
      }, (err: unknown) => {
        const ref = errorId();
        log.error({ event: 'smtp.auth.error', err, ref });
        safeCall(shared, 'auth', () => done(smtpError(REPLIES.storageFailure(ref))));
      });
    },

    onMailFrom(address: SMTPServerAddress, session: SMTPServerSession, done: Done) {
      guard(shared, 'mail', done, async () => {
        shared.info(session)?.lookups.clear();
        const facts = shared.facts(session, listener);
        const user = facts.user ? ctx.directory.getUser(facts.user) : null;
        const allowed = user ? ctx.directory.sendersFor(user) : [];
        const r = decideSender(facts, address.address, allowed);
        if (r) log.info({ event: 'smtp.mail.rejected', sender: address.address, user: facts.user, reason: r.text });
        return r;
      });
    },

    onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, done: Done) {
      guard(shared, 'rcpt', done, async () => {
        const facts = shared.facts(session, listener);
        const rcpt = recipientAddress(address.address, ctx.settings.primaryDomain);
        const lookup = shared.lookup(session);
        const verdict = decideRecipient(facts, rcpt, resolveAddress(lookup, rcpt));
        const refuse = (r: Reply) => {
          log.info({ event: 'smtp.rcpt.rejected', rcpt, ip: session.remoteAddress, user: facts.user, reason: r.text });
          return r;
        };
        if (!verdict.ok) return refuse(verdict.reply);
        if (verdict.route === 'remote') return null;
        const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        const exp = expandRecipients([rcpt], { lookup, sender });
        if (exp.failures[0]) return refuse(exp.failures[0].reply);
        const quota = await quotaRefusal(shared, exp.groups.flatMap((g) => g.mailboxes.map((m) => m.user)), exp.groups.reduce((n, g) => n + g.mailboxes.length + g.remotes.length, 0), declaredSize(session));
        return quota ? refuse(quota) : null;
      });
    },

    onClose(session: SMTPServerSession) {
      shared.close(session);
    },
  };
}

function declaredSize(session: SMTPServerSession): number {
  const args = session.envelope.mailFrom ? session.envelope.mailFrom.args : false;
  const size = args ? Number(args.SIZE ?? 0) : 0;
  return Number.isFinite(size) ? size : 0;
}

/** Checked only for small expansions: a big list is checked per copy at delivery. */
const QUOTA_PRECHECK_MAX = 10;

/**
 * Refuses at RCPT when every copy this recipient expands to would exceed its
 * mailbox quota (with the SIZE= the client declared, or already full).
 */
async function quotaRefusal(shared: SmtpShared, users: Array<{ address: string; domain: string; local: string; quotaBytes: number }>, copies: number, size: number): Promise<Reply | null> {
  if (users.length === 0 || users.length !== copies || copies > QUOTA_PRECHECK_MAX) return null;
  if (users.some((u) => u.quotaBytes === 0)) return null;
  for (const u of users) {
    const usage = await readUsage(shared.ctx.layout.maildir(u.domain, u.local), u.quotaBytes);
    if (!exceedsQuota(usage, u.quotaBytes, size) && usage.bytes < u.quotaBytes) return null;
  }
  const first = users[0]!.address;
  return shared.ctx.settings.delivery.quotaExceeded === 'reject' ? REPLIES.quotaPerm(first) : REPLIES.quotaTemp(first);
}
