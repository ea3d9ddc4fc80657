// parseCommand: from a reader `command` event (tag + tokens) to a typed Command or a
// CommandError the session answers with BAD (RFC 3501 section 6, RFC 9051 section 6). Pure.
import { Args, ArgError } from './args.ts';
import type { Token } from './tokens.ts';
import type { Command, CommandBody, CommandError, SortKey, StoreAction } from './command-types.ts';
import { parseFetchItems, parseFetchModifiers } from './parse-fetch.ts';
import { parseCriteria, parseSearchArgs, parseSearchReturn } from './parse-search.ts';
import { parseAppendArgs, parseCreateParams, parseListArgs, parseQuotaLimits, parseSelectParams, parseStatusItems } from './parse-mailbox.ts';

type Parser = (a: Args) => CommandBody;

const noArgs = (name: 'CAPABILITY' | 'NOOP' | 'LOGOUT' | 'STARTTLS' | 'NAMESPACE' | 'CHECK' | 'CLOSE' | 'UNSELECT' | 'IDLE'): Parser => () => ({ name });

const mailboxOnly = (name: 'DELETE' | 'SUBSCRIBE' | 'UNSUBSCRIBE' | 'GETQUOTAROOT'): Parser => (a) => ({ name, mailbox: a.astring('mailbox') });

const SORT_KEYS = new Set(['ARRIVAL', 'CC', 'DATE', 'FROM', 'SIZE', 'SUBJECT', 'TO', 'DISPLAYFROM', 'DISPLAYTO']);

/** Commands allowed after UID (RFC 3501 6.4.8, RFC 4315 UID EXPUNGE, RFC 6851, RFC 5256). */
const UID_COMMANDS = new Set(['FETCH', 'STORE', 'COPY', 'MOVE', 'SEARCH', 'EXPUNGE', 'SORT', 'THREAD']);

const PARSERS: Record<string, Parser> = {
  CAPABILITY: noArgs('CAPABILITY'), NOOP: noArgs('NOOP'), LOGOUT: noArgs('LOGOUT'), STARTTLS: noArgs('STARTTLS'),
  NAMESPACE: noArgs('NAMESPACE'), CHECK: noArgs('CHECK'), CLOSE: noArgs('CLOSE'), UNSELECT: noArgs('UNSELECT'),
  IDLE: noArgs('IDLE'),
  DELETE: mailboxOnly('DELETE'), SUBSCRIBE: mailboxOnly('SUBSCRIBE'), UNSUBSCRIBE: mailboxOnly('UNSUBSCRIBE'),
  GETQUOTAROOT: mailboxOnly('GETQUOTAROOT'),
  EXPUNGE: (a) => ({ name: 'EXPUNGE', uids: a.atEnd ? null : a.sequenceSet('UID set') }),
  // RFC 4959: the initial response is base64, `=` for an empty one.
  AUTHENTICATE: (a) => ({ name: 'AUTHENTICATE', mechanism: a.atom('mechanism'), initialResponse: a.atEnd ? null : a.atom('initial response', false) }),
  COMPRESS: (a) => ({ name: 'COMPRESS', mechanism: a.atom('mechanism') }),
  LOGIN: (a) => ({ name: 'LOGIN', username: a.astring('user name'), password: a.astring('password') }),
  ENABLE: (a) => {
    const capabilities: string[] = [];
    while (!a.atEnd) capabilities.push(a.atom('capability'));
    if (capabilities.length === 0) throw new ArgError('ENABLE: at least one capability is required');
    return { name: 'ENABLE', capabilities };
  },
  // RFC 2971 section 3.1: ID NIL or a list of field/value pairs.
  ID: (a) => {
    if (a.peekAtom() === 'NIL') {
      a.next('NIL');
      return { name: 'ID', params: null };
    }
    const list = a.list('ID parameters');
    const params: Array<[string, string | null]> = [];
    while (!list.atEnd) params.push([list.astring('field'), list.nstring('value')]);
    return { name: 'ID', params };
  },
  SELECT: (a) => ({ name: 'SELECT', mailbox: a.astring('mailbox'), ...parseSelectParams(a) }),
  EXAMINE: (a) => ({ name: 'EXAMINE', mailbox: a.astring('mailbox'), ...parseSelectParams(a) }),
  CREATE: (a) => ({ name: 'CREATE', mailbox: a.astring('mailbox'), specialUse: parseCreateParams(a) }),
  RENAME: (a) => ({ name: 'RENAME', from: a.astring('existing mailbox'), to: a.astring('new mailbox') }),
  LIST: (a) => ({ name: 'LIST', ...parseListArgs(a) }),
  LSUB: (a) => ({ name: 'LSUB', reference: a.astring('reference'), pattern: a.astring('mailbox pattern') }),
  STATUS: (a) => ({ name: 'STATUS', mailbox: a.astring('mailbox'), items: parseStatusItems(a.list('status items')) }),
  APPEND: (a) => ({ name: 'APPEND', ...parseAppendArgs(a) }),
  SEARCH: (a) => ({ name: 'SEARCH', ...parseSearchArgs(a) }),
  FETCH: (a) => ({ name: 'FETCH', sequence: a.sequenceSet(), items: parseFetchItems(a), ...parseFetchModifiers(a) }),
  STORE: parseStore,
  COPY: (a) => ({ name: 'COPY', sequence: a.sequenceSet(), mailbox: a.astring('mailbox') }),
  MOVE: (a) => ({ name: 'MOVE', sequence: a.sequenceSet(), mailbox: a.astring('mailbox') }),
  GETQUOTA: (a) => ({ name: 'GETQUOTA', root: a.astring('quota root') }),
  SETQUOTA: (a) => ({ name: 'SETQUOTA', root: a.astring('quota root'), limits: parseQuotaLimits(a) }),
  SORT: parseSort,
  THREAD: (a) => ({ name: 'THREAD', algorithm: a.atom('algorithm'), charset: a.astring('charset').toUpperCase(), criteria: parseCriteria(a) }),
};

/** STORE: `set [(UNCHANGEDSINCE n)] (+|-)FLAGS[.SILENT] flags` (RFC 3501 6.4.6, RFC 7162 3.1.3). */
function parseStore(a: Args): CommandBody {
  const sequence = a.sequenceSet();
  let unchangedSince: bigint | null = null;
  if (a.peek()?.type === 'list') {
    const mods = a.list('store modifiers');
    while (!mods.atEnd) {
      const m = mods.atom('modifier');
      if (m !== 'UNCHANGEDSINCE') throw new ArgError(`STORE: unknown modifier ${m}`);
      unchangedSince = mods.modseq();
    }
  }
  const item = a.atom('data item');
  const m = /^([+-]?)FLAGS(\.SILENT)?$/.exec(item);
  if (!m) throw new ArgError(`STORE: unknown data item ${item}`);
  const action: StoreAction = m[1] === '+' ? 'add' : m[1] === '-' ? 'remove' : 'set';
  const list = a.listOrSingle('flags');
  const flags: string[] = [];
  while (!list.atEnd) flags.push(list.atom('flag', false));
  // A flag list may be spread over the remaining tokens without parentheses (RFC 3501 section 9 `store-att-flags`).
  while (!a.atEnd) flags.push(a.atom('flag', false));
  return { name: 'STORE', sequence, action, silent: Boolean(m[2]), flags: [...new Set(flags)], unchangedSince };
}

/** SORT: `[RETURN (...)] (keys) charset criteria` (RFC 5256 section 3, RFC 5267 ESORT). */
function parseSort(a: Args): CommandBody {
  const returns = parseSearchReturn(a);
  const list = a.list('sort criteria');
  const keys: SortKey[] = [];
  let reverse = false;
  while (!list.atEnd) {
    const k = list.atom('sort key');
    if (k === 'REVERSE') { reverse = true; continue; }
    if (!SORT_KEYS.has(k)) throw new ArgError(`SORT: unknown sort key ${k}`);
    keys.push({ reverse, key: k as SortKey['key'] });
    reverse = false;
  }
  if (keys.length === 0 || reverse) throw new ArgError('SORT: incomplete sort criteria');
  return { name: 'SORT', keys, charset: a.astring('charset').toUpperCase(), criteria: parseCriteria(a), returns };
}

/**
 * Parses the tokens after the tag. Never throws on client input.
 * @example parseCommand('a1', tokensOf('UID FETCH 1:* FLAGS')) // { tag:'a1', uid:true, name:'FETCH', ... }
 */
export function parseCommand(tag: string, tokens: readonly Token[]): Command | CommandError {
  try {
    const args = new Args(tokens);
    let verb = args.atom('command name');
    let uid = false;
    if (verb === 'UID') {
      uid = true;
      verb = args.atom('command after UID');
      if (!UID_COMMANDS.has(verb)) throw new ArgError(`UID ${verb} is not a command`);
    }
    if (!uid && verb === 'EXPUNGE' && !args.atEnd) throw new ArgError('EXPUNGE takes no arguments');
    if (uid && verb === 'EXPUNGE' && args.atEnd) throw new ArgError('UID EXPUNGE needs a UID set');
    const parser = Object.hasOwn(PARSERS, verb) ? PARSERS[verb] : undefined;
    if (!parser) return { error: true, tag, reason: `unknown command ${verb.slice(0, 40)}` };
    const rest = new Args(tokens.slice(uid ? 2 : 1), uid ? `UID ${verb}` : verb);
    const body = parser(rest);
    rest.end();
    return { ...body, tag, uid } as Command;
  } catch (e) {
    if (e instanceof ArgError) return { error: true, tag, reason: e.message };
    throw e;
  }
}

/** Narrowing helper for the session. */
export function isCommandError(c: Command | CommandError): c is CommandError {
  return 'error' in c;
}
