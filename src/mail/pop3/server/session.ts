// One POP3 session: greets, pulls events from the connection one at a time (so
// pipelined commands run in order, RFC 2449 section 6.6), applies the cross-cutting
// guards once (state, arguments, bad-command limit, HTTP clients) and runs handlers from
// the command table. Every way out goes through one finally that releases the lock.
import { randomBytes } from 'node:crypto';
import { isLoopback } from '../../../lib/cidr.ts';
import { errorId } from '../../../lib/errors.ts';
import { isArgError, splitCommand } from '../proto/args.ts';
import { err, formatReply, ok, type Reply } from '../proto/reply.ts';
import type { SessionContext, SessionDeps } from './command.ts';
import type { Pop3Connection } from './connection.ts';
import { INITIAL_STATE, releaseState, stateName, type Pop3State } from './state.ts';
import { COMMANDS } from './table.ts';

/** How a line ended up; `close` ends the session after its reply. */
type Step = { close: boolean };

const HTTP_LINE = /^(GET|POST|HEAD|PUT|OPTIONS|CONNECT) \S+ HTTP\/\d/i;

export class Pop3Session {
  readonly id = randomBytes(6).toString('hex');
  private state: Pop3State = INITIAL_STATE;
  private badCommands = 0;
  /** Bytes written for the current command: after the first, an error cannot become -ERR. */
  private wroteForCommand = false;
  private readonly ctx: SessionContext;

  constructor(private readonly conn: Pop3Connection, private readonly deps: SessionDeps) {
    this.ctx = this.makeContext();
  }

  /** Asks the session to end at its next command boundary; deletions are not applied. */
  shutdown(): void {
    this.conn.requestShutdown();
  }

  private makeContext(): SessionContext {
    const { conn, deps } = this;
    // Arrow functions only: handlers may call these detached from the object.
    return {
      id: this.id,
      remoteAddress: conn.remoteAddress,
      get secure() { return conn.secure; },
      get closed() { return conn.isClosed; },
      deps,
      reply: (reply: Reply) => this.write(formatReply(reply)),
      write: (data: Buffer | string) => this.write(data),
      peekLine: () => conn.peekLine(),
      cork: () => conn.cork(),
      uncork: () => conn.uncork(),
      readLine: async () => {
        const ev = await conn.nextEvent();
        if (ev.kind === 'line') return ev.line;
        if (ev.kind === 'overlong') return '';
        return null;
      },
      startTls: async (okText: string) => {
        if (!deps.tls) return false;
        conn.prepareTls();
        await this.write(formatReply(ok(okText)));
        const done = await conn.startTls(deps.tls, deps.limits.idleTimeoutMs);
        this.event(done ? 'pop3.stls' : 'pop3.stls.failed', {});
        return done;
      },
      canStartTls: () => deps.tls !== null && !conn.secure,
      plaintextAuthAllowed: () => conn.secure || (deps.allowPlaintextOnLoopback && isLoopback(conn.remoteAddress)),
      event: (name: string, fields: Record<string, unknown> = {}) => this.event(name, fields),
    };
  }

  private event(name: string, fields: Record<string, unknown>): void {
    this.deps.log.info({ event: name, session: this.id, ip: this.conn.remoteAddress, ...fields });
  }

  private write(data: Buffer | string): Promise<void> {
    this.wroteForCommand = true;
    return this.conn.write(data);
  }

  /** Runs the session to its end. Never throws. */
  async run(): Promise<void> {
    this.event('pop3.connect', { secure: this.conn.secure });
    try {
      // No APOP timestamp in the greeting: APOP is not offered (RFC 1939 section 7).
      await this.write(formatReply(ok(`${this.deps.hostname} Tandem POP3 server ready`)));
      while (!(await this.step()).close);
    } catch (e) {
      // Not expected: step() handles command failures. Logged, then the finally cleans up.
      this.deps.log.error({ event: 'pop3.session.error', session: this.id, errorId: errorId(), err: e });
    } finally {
      // RFC 1939 section 6: without QUIT the UPDATE state is never entered, so marked
      // messages stay; only the lock (and any read-ahead) goes.
      releaseState(this.state);
      await this.conn.close();
      this.event('pop3.disconnect', { state: this.state.kind });
    }
  }

  private async step(): Promise<Step> {
    const ev = await this.conn.nextEvent();
    switch (ev.kind) {
      case 'closed':
        return { close: true };
      case 'timeout':
        this.event('pop3.timeout', {});
        await this.ctx.reply(err('autologout: idle for too long, closing connection'));
        return { close: true };
      case 'shutdown':
        await this.ctx.reply(err('server shutting down; try again later', 'SYS/TEMP'));
        return { close: true };
      case 'overlong':
        return this.bad(`line too long: the limit is ${ev.limit} octets`);
      case 'line':
        return this.dispatch(ev.line);
    }
  }

  private async bad(text: string): Promise<Step> {
    this.badCommands++;
    await this.ctx.reply(err(text));
    if (this.badCommands >= this.deps.limits.maxBadCommands) {
      this.event('pop3.bad-commands', { count: this.badCommands });
      await this.ctx.reply(err(`too many bad commands (${this.badCommands}); closing connection`));
      return { close: true };
    }
    return { close: false };
  }

  private async dispatch(line: string): Promise<Step> {
    this.wroteForCommand = false;
    if (HTTP_LINE.test(line)) {
      this.event('pop3.http-client', {});
      return { close: true };
    }
    const split = splitCommand(line);
    if (!split) return this.bad('expected a command keyword');
    const command = COMMANDS.get(split.verb);
    if (!command) return this.bad(`unknown command ${split.verb}`);
    if (!command.states.includes(this.state.kind)) {
      return this.bad(`${split.verb} is not allowed in the ${stateName(this.state)} state`);
    }
    const args = command.parse(split);
    if (isArgError(args)) return this.bad(`${split.verb}: ${args.error}`);
    try {
      const outcome = await command.run(this.ctx, this.state, args);
      if (outcome?.next) this.state = outcome.next;
      return { close: outcome?.close ?? false };
    } catch (e) {
      return this.internalError(e, split.verb);
    }
  }

  /**
   * A bug or an unexpected storage failure (STYLE "Errors", kind 3): full detail in the
   * log under an id, a generic reply to the client, and the session goes on. If part of
   * a multi-line response was already sent, no reply can be trusted: drop the connection.
   */
  private async internalError(e: unknown, verb: string): Promise<Step> {
    const id = errorId();
    this.deps.log.error({ event: 'pop3.command.error', session: this.id, command: verb, errorId: id, err: e });
    if (this.wroteForCommand) {
      this.conn.destroy();
      return { close: true };
    }
    await this.ctx.reply(err(`internal error (${id}); try again later`, 'SYS/TEMP'));
    return { close: false };
  }
}
