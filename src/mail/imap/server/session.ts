// One IMAP session: greets, pulls framed commands from the connection one at a time,
// applies the cross-cutting rules once (state check, BAD limit, error mapping, the
// untagged-update points of RFC 9051 7.4.1, literal cleanup) and runs handlers from the
// command table. Every way out goes through one finally that leaves the mailbox.
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isLoopback } from '../../../lib/cidr.ts';
import { errorId, isTandemError, type TandemError } from '../../../lib/errors.ts';
import { readUsage, exceedsQuota } from '../../storage/quota.ts';
import { imapCapabilities } from '../proto/capabilities.ts';
import { isCommandError, parseCommand } from '../proto/parse-command.ts';
import { LITERAL_MARKER, tokenize } from '../proto/tokens.ts';
import { formatContinuation, formatTagged, formatUntaggedStatus, type ResponseCode } from '../proto/response.ts';
import { decodeMailboxName, encodeMailboxName } from '../proto/mailbox-name.ts';
import { DEFAULT_FORMAT, type FormatOptions } from '../proto/format.ts';
import type { Command } from '../proto/command-types.ts';
import type { ImapConnection, ConnectionEvent } from './connection.ts';
import type { LiteralSinks } from './literal-sink.ts';
import type { Result, ServerDeps, SessionContext } from './command.ts';
import { stateName, type ImapState } from './state.ts';
import { COMMANDS } from './table.ts';
import { quotaOf } from './quota-of.ts';
import { shutdownBye } from './shutdown.ts';

/** Literals a client that is not logged in may send (a LOGIN password is small). */
const UNAUTHENTICATED_LITERAL_MAX = 1024;

const HTTP_LINE = /^(GET|POST|HEAD|PUT|OPTIONS|CONNECT) \S+ HTTP\/\d/i;

/** Extra capabilities of this server beyond the base list in proto/capabilities.ts. */
function extraCapabilities(appendLimit: number): string[] {
  return ['SORT', 'THREAD=ORDEREDSUBJECT', 'THREAD=REFERENCES', `APPENDLIMIT=${appendLimit}`, 'COMPRESS=DEFLATE'];
}

/** A storage failure's category as an IMAP response code (RFC 5530). */
function codeOf(e: TandemError): ResponseCode | undefined {
  switch (e.category) {
    case 'not-found': return { code: 'NONEXISTENT' };
    case 'exists': return { code: 'ALREADYEXISTS' };
    case 'no-quota': return { code: 'OVERQUOTA' };
    case 'perm': return { code: 'NOPERM' };
    case 'temp': return { code: 'UNAVAILABLE' };
    case 'not-possible': return { code: 'CANNOT' };
    case 'invalid': return { code: 'CANNOT' };
  }
}

export class ImapSession {
  readonly id = randomBytes(6).toString('hex');
  private state: ImapState = { kind: 'not-authenticated' };
  private badCommands = 0;
  private readonly enabled = new Set<string>();
  private condstore = false;
  private readonly ctx: SessionContext;

  constructor(private readonly conn: ImapConnection, private readonly deps: ServerDeps, private readonly sinks: LiteralSinks) {
    this.ctx = this.makeContext();
  }

  /** Asks the session to end at its next command boundary with BYE (service shutdown). */
  shutdown(): void {
    this.conn.requestShutdown();
  }

  private get utf8(): boolean {
    return this.enabled.has('IMAP4REV2') || this.enabled.has('UTF8=ACCEPT');
  }

  private format(): FormatOptions {
    return { ...DEFAULT_FORMAT, utf8: this.utf8 };
  }

  private plaintextAuthAllowed(): boolean {
    return this.conn.secure || (this.deps.allowPlaintextOnLoopback && isLoopback(this.conn.remoteAddress));
  }

  private capabilities(authenticated = this.state.kind === 'authenticated' || this.state.kind === 'selected'): string[] {
    const caps = imapCapabilities({
      tls: this.conn.secure, startTlsAvailable: this.deps.tls !== null, authenticated,
      mechanisms: ['PLAIN'], extra: extraCapabilities(this.deps.limits.appendLimit),
    });
    // Loopback with allowPlaintextOnLoopback: LOGIN works, so it must not be announced as disabled.
    if (!authenticated && !this.conn.secure && this.plaintextAuthAllowed()) {
      return caps.map((c) => (c === 'LOGINDISABLED' ? 'AUTH=PLAIN' : c));
    }
    return caps;
  }

  private makeContext(): SessionContext {
    const { conn, deps } = this;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      id: this.id,
      remoteAddress: conn.remoteAddress,
      get secure() { return conn.secure; },
      get closed() { return conn.isClosed; },
      deps,
      enabled: this.enabled,
      get condstore() { return self.condstore; },
      set condstore(v: boolean) { self.condstore = v; },
      get format() { return self.format(); },
      get rev2() { return self.enabled.has('IMAP4REV2'); },
      literals: this.sinks,
      get compressed() { return conn.compressed; },
      startDeflate: () => conn.startDeflate(),
      authFailures: 0,
      wake: () => conn.wake(),
      send: (data) => conn.write(data),
      readLine: async (timeoutMs = deps.limits.autologoutMs) => {
        const ev = await conn.nextEvent(timeoutMs);
        if (ev.kind === 'line') return ev.line;
        if (ev.kind === 'error') return '';
        return null;
      },
      waitLineOrChange: async (timeoutMs) => {
        const ev = await conn.nextEvent(timeoutMs, true);
        if (ev.kind === 'line') return { line: ev.line };
        if (ev.kind === 'error') return { line: '' };
        if (ev.kind === 'wake') return 'change';
        if (ev.kind === 'timeout' || ev.kind === 'closed' || ev.kind === 'shutdown') return ev.kind;
        return { line: '' };
      },
      setRawLineMode: (on) => conn.setRawLineMode(on),
      startTls: async (tag) => {
        if (!deps.tls) return false;
        conn.prepareTls();
        await conn.write(formatTagged(tag, 'OK', 'begin TLS negotiation now'));
        const done = await conn.startTls(deps.tls, 30_000);
        this.event(done ? 'imap.starttls' : 'imap.starttls.failed', {});
        return done;
      },
      canStartTls: () => deps.tls !== null && !conn.secure,
      plaintextAuthAllowed: () => this.plaintextAuthAllowed(),
      capabilities: () => this.capabilities(),
      capabilitiesFor: (authenticated) => this.capabilities(authenticated),
      decodeName: (wire) => decodeMailboxName(wire, this.utf8),
      encodeName: (name) => encodeMailboxName(name, this.utf8),
      flushUpdates: (expunges) => this.flush(expunges),
      event: (name, fields = {}) => this.event(name, fields),
    };
  }

  private event(name: string, fields: Record<string, unknown>): void {
    this.deps.log.info({ event: name, session: this.id, ip: this.conn.remoteAddress, ...fields });
  }

  private async flush(expunges: boolean): Promise<void> {
    if (this.state.kind !== 'selected') return;
    this.conn.clearWake();
    await this.state.mailbox.flush((b) => this.conn.write(b), {
      expunges, qresync: this.enabled.has('QRESYNC'), condstore: this.condstore, format: this.format(),
    });
  }

  /** Runs the session to its end. Never throws. */
  async run(): Promise<void> {
    this.event('imap.connect', { secure: this.conn.secure });
    try {
      const caps = this.capabilities().join(' ');
      await this.conn.write(formatUntaggedStatus('OK', `${this.deps.hostname} Tandem IMAP server ready`, { code: 'CAPABILITY', capabilities: caps.split(' ') }));
      while (!(await this.step()));
    } catch (e) {
      this.deps.log.error({ event: 'imap.session.error', session: this.id, errorId: errorId(), err: e });
    } finally {
      this.leaveMailbox();
      await this.sinks.discardUpTo(Number.MAX_SAFE_INTEGER).catch(() => undefined);
      await this.conn.close();
      this.event('imap.disconnect', { state: this.state.kind });
    }
  }

  private leaveMailbox(): void {
    if (this.state.kind === 'selected') this.state.mailbox.close();
  }

  private async bye(text: string): Promise<true> {
    await this.conn.write(formatUntaggedStatus('BYE', text));
    return true;
  }

  /** One event; true when the session is over. */
  private async step(): Promise<boolean> {
    const ev = await this.conn.nextEvent(this.deps.limits.autologoutMs);
    switch (ev.kind) {
      case 'closed': return true;
      case 'timeout':
        this.event('imap.autologout', {});
        return this.bye('autologout: idle for too long');
      case 'shutdown':
        await this.conn.write(shutdownBye(this.deps.hostname));
        return true;
      case 'wake': return false;
      case 'line': return this.lineAsCommand(ev.line, ev.streamsUpTo);
      case 'error':
        await this.sinks.discardUpTo(ev.streamsUpTo);
        return this.badCommand(ev.tag, ev.reason);
      case 'continue': return this.onContinue(ev);
      case 'command': return this.dispatch(ev);
    }
  }

  /**
   * A command the client pipelined right behind IDLE's DONE or an AUTHENTICATE response
   * (some clients send "DONE\r\nA5 NOOP\r\n" in one packet) was framed as a raw line
   * before the session left raw mode: tokenize it here. Literals cannot be recovered.
   */
  private async lineAsCommand(line: string, streamsUpTo: number): Promise<boolean> {
    if (line.trim() === '') return false;
    const tag = /^([\x21-\x7e]+) /.exec(line)?.[1] ?? null;
    if (LITERAL_MARKER.test(line)) return this.badCommand(tag, 'a command with a literal right after DONE or a SASL response; send it again');
    const r = tokenize([{ kind: 'line', text: line }], { maxDepth: 16, maxTokens: 100_000 });
    const head = r.ok ? r.tokens[0] : undefined;
    if (!r.ok || !head || head.type !== 'atom' || head.value === '*' || head.value === '+') {
      return this.badCommand(null, r.ok ? 'missing or invalid tag' : r.reason);
    }
    return this.dispatch({ kind: 'command', tag: head.value, tokens: r.tokens.slice(1), streamsUpTo });
  }

  private async badCommand(tag: string | null, reason: string): Promise<boolean> {
    this.badCommands++;
    await this.conn.write(tag ? formatTagged(tag, 'BAD', reason) : formatUntaggedStatus('BAD', reason));
    if (this.badCommands >= this.deps.limits.maxBadCommands) {
      this.event('imap.bad-commands', { count: this.badCommands });
      return this.bye(`too many bad commands (${this.badCommands}); closing connection`);
    }
    return false;
  }

  /**
   * A synchronizing literal was announced: `+` now, or a tagged refusal so the client
   * never sends it (APPEND over quota: RFC 9208 [OVERQUOTA] before the data).
   */
  private async onContinue(ev: Extract<ConnectionEvent, { kind: 'continue' }>): Promise<boolean> {
    const refuse = async (status: 'NO' | 'BAD', text: string, code?: ResponseCode): Promise<boolean> => {
      this.conn.rejectLiteral();
      await this.sinks.discardUpTo(ev.streamsUpTo);
      if (status === 'BAD') return this.badCommand(ev.tag, text);
      await this.conn.write(formatTagged(ev.tag ?? '*', status, text, code));
      return false;
    };
    const st = this.state;
    if (st.kind === 'not-authenticated' || st.kind === 'logout') {
      if (ev.size > UNAUTHENTICATED_LITERAL_MAX) return refuse('BAD', `literal too big before login (${ev.size} octets, limit ${UNAUTHENTICATED_LITERAL_MAX})`);
    } else if (ev.verb === 'APPEND') {
      const quota = quotaOf(this.deps, st);
      // A failure to read the usage is no reason to refuse: APPEND checks the quota again.
      const usage = quota > 0 ? await readUsage(st.store.root, quota).catch(() => null) : null;
      if (usage && exceedsQuota(usage, quota, ev.size)) {
        return refuse('NO', `quota exceeded: ${usage.bytes} of ${quota} octets used, the message has ${ev.size}`, { code: 'OVERQUOTA' });
      }
    }
    await this.conn.write(formatContinuation('Ready for literal data'));
    return false;
  }

  private async dispatch(ev: Extract<ConnectionEvent, { kind: 'command' }>): Promise<boolean> {
    const cmd = parseCommand(ev.tag, ev.tokens);
    if (isCommandError(cmd)) {
      await this.sinks.discardUpTo(ev.streamsUpTo);
      const first = ev.tokens[0];
      if (first?.type === 'atom' && HTTP_LINE.test(`${ev.tag} ${first.value} HTTP/1`)) return true;
      return this.badCommand(cmd.tag, cmd.reason);
    }
    const handler = COMMANDS.get(cmd.name);
    if (!handler) return this.badCommand(cmd.tag, `${cmd.name} is not implemented`);
    if (!handler.states.includes(this.state.kind)) {
      await this.sinks.discardUpTo(ev.streamsUpTo);
      return this.badCommand(cmd.tag, this.wrongState(cmd));
    }
    let result: Result;
    const started = this.state;
    try {
      result = await handler.run(this.ctx, this.state, cmd);
    } catch (e) {
      result = await this.failure(e, cmd);
    } finally {
      await this.sinks.discardUpTo(ev.streamsUpTo);
    }
    if (result.next) this.switchState(started, result.next);
    this.conn.storeLiterals = this.state.kind === 'authenticated' || this.state.kind === 'selected';
    if (this.state.kind === 'selected' && !result.close) {
      const mb = this.state.mailbox;
      if (!mb.gone) await this.flush(handler.expungesAllowed?.(cmd) ?? true);
      if (mb.gone) {
        // RFC 9051 2.3.1.1 / 7.1.5: never serve stale UIDs; the client reconnects and re-selects.
        this.event('imap.mailbox.gone', { mailbox: mb.name, reason: mb.gone });
        await this.bye(mb.gone);
        if (!result.sent) await this.conn.write(formatTagged(cmd.tag, result.status, result.text, result.code));
        return true;
      }
    }
    if (!result.sent) await this.conn.write(formatTagged(cmd.tag, result.status, result.text, result.code));
    if (result.status === 'BAD') {
      this.badCommands++;
      if (this.badCommands >= this.deps.limits.maxBadCommands) return this.bye(`too many bad commands (${this.badCommands}); closing connection`);
    } else if (result.status === 'OK') {
      // The limit is on bad commands in a row: a long-lived client that sometimes tries an
      // extension we lack is not cut off after days.
      this.badCommands = 0;
    }
    return result.close ?? false;
  }

  private switchState(before: ImapState, next: ImapState): void {
    if (before.kind === 'selected' && (next.kind !== 'selected' || next.mailbox !== before.mailbox)) before.mailbox.close();
    this.state = next;
  }

  private wrongState(cmd: Command): string {
    const s = this.state.kind;
    if (s === 'not-authenticated') return `${cmd.name} needs a login first (LOGIN or AUTHENTICATE)`;
    if (s === 'authenticated' && ['FETCH', 'STORE', 'SEARCH', 'COPY', 'MOVE', 'EXPUNGE', 'CLOSE', 'UNSELECT', 'CHECK', 'SORT', 'THREAD'].includes(cmd.name)) {
      return `${cmd.uid ? 'UID ' : ''}${cmd.name} needs a selected mailbox (SELECT or EXAMINE first)`;
    }
    return `${cmd.name} is not allowed in the ${stateName(s)} state`;
  }

  /**
   * Expected failures become NO with their RFC 5530 code; anything else is a bug: logged
   * in full under an id, the client gets NO [SERVERBUG] with that id, the session goes on.
   */
  private async failure(e: unknown, cmd: Command): Promise<Result> {
    // 26 keyword letters per Maildir folder (docs/imap-store.md): a limit, not a failure.
    if (isTandemError(e) && e.code === 'MAIL_ERR_TOO_MANY_KEYWORDS') return { status: 'NO', text: e.message, code: { code: 'LIMIT' } };
    if (isTandemError(e)) return { status: 'NO', text: e.message, code: codeOf(e) };
    const code = (e as NodeJS.ErrnoException)?.code;
    if (code === 'ENOENT' && this.state.kind === 'selected') {
      // The folder's directory went away under us (another program): leave it, never guess.
      const mb = this.state.mailbox;
      if (!(await stat(join(mb.ix.dir, 'cur')).then((s) => s.isDirectory(), () => false))) {
        mb.markGone(`mailbox ${mb.name} was deleted or renamed by another program`);
        return { status: 'NO', text: `mailbox ${mb.name} no longer exists`, code: { code: 'NONEXISTENT' } };
      }
    }
    if (code === 'ENOSPC' || code === 'EDQUOT') return { status: 'NO', text: 'no space left on the mail volume; try again later', code: { code: 'OVERQUOTA' } };
    const id = errorId();
    this.deps.log.error({ event: 'imap.command.error', session: this.id, command: cmd.name, errorId: id, err: e });
    return { status: 'NO', text: `internal error (${id}); try again later`, code: { code: 'SERVERBUG' } };
  }
}
