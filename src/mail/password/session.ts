// One poppassd conversation: greeting, user, pass (checked, throttled), newpass (the
// policy, then the change, durable before the 200), quit. The state is a union; a
// wrong password or too many bad commands ends the connection, as the classic
// poppassd does, so one connection cannot be used to guess.
import type { Pop3Connection } from '../pop3/server/connection.ts';
import type { LoginThrottle } from '../../lib/login-throttle.ts';
import type { User } from '../directory/directory.ts';
import type { Logger } from '../../lib/log.ts';
import { formatReply, parseCommand, REPLIES, type PoppassdReply } from './proto/command.ts';
import { checkPassword } from './policy.ts';

type State =
  | { kind: 'want-user' }
  | { kind: 'want-pass'; name: string }
  | { kind: 'want-newpass'; user: User; oldPassword: string };

export interface PasswordSessionDeps {
  readonly hostname: string;
  readonly authenticate: (address: string, password: string) => Promise<User | null>;
  /** Stores the new password; resolves only once it is durable (SQLite synchronous=FULL commit). */
  readonly setPassword: (address: string, password: string) => Promise<void>;
  readonly throttle: LoginThrottle;
  readonly minLength: number;
  readonly maxBadCommands: number;
  readonly log: Logger;
}

export async function runPasswordSession(conn: Pop3Connection, ip: string, deps: PasswordSessionDeps): Promise<void> {
  const reply = (r: PoppassdReply) => conn.write(formatReply(r));
  const event = (name: string, fields: Record<string, unknown> = {}) => deps.log.info({ event: name, ip, ...fields });
  let state: State = { kind: 'want-user' };
  let bad = 0;
  await reply(REPLIES.greeting(deps.hostname));
  try {
    while (true) {
      const ev = await conn.nextEvent();
      if (ev.kind === 'closed') return;
      if (ev.kind === 'shutdown') { await reply(REPLIES.unavailable); return; }
      if (ev.kind === 'timeout') { await reply(REPLIES.timeout); return; }
      if (ev.kind === 'overlong') {
        await reply(REPLIES.lineTooLong);
        if (++bad >= deps.maxBadCommands) return;
        continue;
      }
      if (ev.kind !== 'line') return;
      const cmd = parseCommand(ev.line);
      if (cmd.verb === 'quit') { await reply(REPLIES.bye); return; }
      switch (state.kind) {
        case 'want-user':
          if (cmd.verb === 'user' && cmd.arg.trim() !== '') {
            state = { kind: 'want-pass', name: cmd.arg.trim() };
            await reply(REPLIES.passwordPlease);
            continue;
          }
          await reply(REPLIES.usernameExpected);
          break;
        case 'want-pass': {
          if (cmd.verb !== 'pass') { await reply(REPLIES.passwordExpected); break; }
          const name = state.name;
          const verdict = deps.throttle.check(ip, name);
          if (verdict) {
            event('password.login.throttled', { user: name, scope: verdict.scope });
            const who = verdict.scope === 'ip' ? `from ${ip}` : 'for this user';
            await reply({ code: 500, text: `Too many failed attempts ${who}; try again in ${verdict.retryAfterSeconds} seconds.` });
            return;
          }
          const user = await deps.authenticate(name, cmd.arg);
          if (!user) {
            deps.throttle.recordFailure(ip, name);
            event('password.login.failed', { user: name });
            await reply(REPLIES.oldPasswordIncorrect);
            return;
          }
          deps.throttle.recordSuccess(name);
          state = { kind: 'want-newpass', user, oldPassword: cmd.arg };
          await reply(REPLIES.newPasswordPlease);
          continue;
        }
        case 'want-newpass': {
          if (cmd.verb !== 'newpass') { await reply(REPLIES.newPasswordExpected); break; }
          const problems = checkPassword(cmd.arg, { user: state.user, oldPassword: state.oldPassword, settings: { minLength: deps.minLength } });
          if (problems.length > 0) {
            event('password.change.rejected', { user: state.user.address, problems });
            // The client shows this text; the user may try another newpass on this connection.
            await reply({ code: 500, text: `New password ${problems.join('; ')}.` });
            break;
          }
          try {
            await deps.setPassword(state.user.address, cmd.arg);
          } catch (e) {
            deps.log.error({ event: 'password.change.failed', ip, user: state.user.address, error: (e as Error).message });
            await reply(REPLIES.unavailable);
            return;
          }
          event('password.changed', { user: state.user.address });
          await reply(REPLIES.changed);
          state = { kind: 'want-user' };
          continue;
        }
      }
      // Only wrong commands reach here.
      if (++bad >= deps.maxBadCommands) {
        await reply({ code: 500, text: 'Too many bad commands; closing.' });
        return;
      }
    }
  } finally {
    await conn.close();
  }
}
