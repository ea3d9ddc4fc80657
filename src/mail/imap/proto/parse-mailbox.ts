// Arguments of the mailbox commands: SELECT/EXAMINE (RFC 7162), CREATE (RFC 6154), LIST
// (RFC 5258, 5819, 6154), STATUS, APPEND (RFC 3501 6.3.11, RFC 3502) and QUOTA (RFC 9208).
import { ArgError } from './args.ts';
import type { Args } from './args.ts';
import type { AppendMessage, ListReturn, QresyncParams, StatusItem } from './command-types.ts';

const STATUS_ITEMS = new Set<string>(['MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'DELETED', 'SIZE', 'HIGHESTMODSEQ', 'APPENDLIMIT']);
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** `date-time` (RFC 3501 section 9): `17-Jul-1996 02:44:25 -0700`; null when invalid. */
export function parseDateTime(text: string): Date | null {
  const m = /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text);
  if (!m) return null;
  const month = MONTHS.indexOf(m[2]!.toUpperCase());
  const [day, h, min, s] = [Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])];
  if (month < 0 || h > 23 || min > 59 || s > 60) return null;
  const offset = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9]));
  const probe = new Date(Date.UTC(Number(m[3]), month, day));
  if (probe.getUTCDate() !== day) return null;
  return new Date(Date.UTC(Number(m[3]), month, day, h, min, s) - offset * 60_000);
}

export function parseStatusItems(list: Args): StatusItem[] {
  const items: StatusItem[] = [];
  while (!list.atEnd) {
    const item = list.atom('status item');
    if (!STATUS_ITEMS.has(item)) throw new ArgError(`unknown status item ${item}`);
    items.push(item as StatusItem);
  }
  if (items.length === 0) throw new ArgError('STATUS: empty item list');
  return items;
}

/** SELECT/EXAMINE parameters: `(CONDSTORE)` and `(QRESYNC (uidvalidity modseq [uids] [(seqs uids)]))`. */
export function parseSelectParams(args: Args): { condstore: boolean; qresync: QresyncParams | null } {
  let condstore = false;
  let qresync: QresyncParams | null = null;
  if (args.atEnd) return { condstore, qresync };
  const params = args.list('select parameters');
  while (!params.atEnd) {
    const name = params.atom('parameter');
    if (name === 'CONDSTORE') condstore = true;
    else if (name === 'QRESYNC') {
      const q = params.list('QRESYNC parameters');
      const uidValidity = q.number('UIDVALIDITY', 0xffffffff);
      const modseq = q.modseq();
      let knownUids = null;
      let seqMatch = null;
      const t = q.peek();
      if (t && t.type === 'atom') knownUids = q.sequenceSet('known UIDs');
      if (!q.atEnd) {
        const m = q.list('sequence match data');
        seqMatch = { seqs: m.sequenceSet('known sequence set'), uids: m.sequenceSet('known UID set') };
        m.end();
      }
      q.end();
      qresync = { uidValidity, modseq, knownUids, seqMatch };
    } else throw new ArgError(`unknown select parameter ${name}`);
  }
  return { condstore, qresync };
}

/** CREATE's optional `(USE (\Sent ...))` (RFC 6154 section 3). */
export function parseCreateParams(args: Args): string[] {
  if (args.atEnd) return [];
  const params = args.list('create parameters');
  const uses: string[] = [];
  while (!params.atEnd) {
    const name = params.atom('parameter');
    if (name !== 'USE') throw new ArgError(`CREATE: unknown parameter ${name}`);
    const list = params.list('special-use list');
    while (!list.atEnd) uses.push(list.atom('special-use flag', false));
  }
  return uses;
}

const SELECTION = new Set(['SUBSCRIBED', 'REMOTE', 'RECURSIVEMATCH', 'SPECIAL-USE']);

/** LIST: `[(selection)] reference (pattern | (patterns)) [RETURN (options)]` (RFC 5258 section 3). */
export function parseListArgs(args: Args): { reference: string; patterns: string[]; selection: string[]; returns: ListReturn; extended: boolean } {
  let extended = false;
  const selection: string[] = [];
  if (args.peek()?.type === 'list') {
    extended = true;
    const sel = args.list('selection options');
    while (!sel.atEnd) {
      const o = sel.atom('selection option');
      if (!SELECTION.has(o)) throw new ArgError(`LIST: unknown selection option ${o}`);
      selection.push(o);
    }
    // RFC 5258 section 3.1: RECURSIVEMATCH alone is an error.
    if (selection.includes('RECURSIVEMATCH') && selection.length === 1) throw new ArgError('LIST: RECURSIVEMATCH needs another selection option');
  }
  const reference = args.astring('reference');
  const patterns: string[] = [];
  if (args.peek()?.type === 'list') {
    extended = true;
    const list = args.list('patterns');
    while (!list.atEnd) patterns.push(list.astring('pattern'));
    if (patterns.length === 0) throw new ArgError('LIST: empty pattern list');
  } else patterns.push(args.astring('mailbox pattern'));
  let returns: ListReturn = { subscribed: false, children: false, specialUse: false, status: null };
  if (!args.atEnd) {
    if (args.atom('RETURN') !== 'RETURN') throw new ArgError('LIST: expected RETURN');
    extended = true;
    const opts = args.list('return options');
    while (!opts.atEnd) {
      const o = opts.atom('return option');
      if (o === 'SUBSCRIBED') returns = { ...returns, subscribed: true };
      else if (o === 'CHILDREN') returns = { ...returns, children: true };
      else if (o === 'SPECIAL-USE') returns = { ...returns, specialUse: true };
      else if (o === 'STATUS') returns = { ...returns, status: parseStatusItems(opts.list('status items')) };
      else throw new ArgError(`LIST: unknown return option ${o}`);
    }
  }
  return { reference, patterns, selection, returns, extended };
}

/** APPEND: `mailbox 1*([flags] [date-time] (literal | UTF8 (literal8)))`; several is MULTIAPPEND (RFC 3502). */
export function parseAppendArgs(args: Args): { mailbox: string; messages: AppendMessage[] } {
  const mailbox = args.astring('mailbox');
  const messages: AppendMessage[] = [];
  do {
    let flags: string[] = [];
    let date: Date | null = null;
    if (args.peek()?.type === 'list') {
      const list = args.list('flags');
      while (!list.atEnd) flags.push(list.atom('flag', false));
    }
    const t = args.peek();
    if (t && t.type === 'quoted') {
      date = parseDateTime(t.value);
      if (!date) throw new ArgError(`APPEND: invalid date-time "${t.value}"`);
      args.next('date-time');
    }
    flags = [...new Set(flags)];
    // RFC 6855 section 4: `UTF8 (~{n}...)` carries a message with UTF-8 headers.
    if (args.peekAtom() === 'UTF8') {
      args.next('UTF8');
      const inner = args.list('UTF8 data');
      const data = inner.literal('message literal8');
      inner.end();
      messages.push({ flags, date, data, utf8: true });
    } else messages.push({ flags, date, data: args.literal('message literal'), utf8: false });
  } while (!args.atEnd);
  return { mailbox, messages };
}

/** SETQUOTA: `root (resource limit ...)` (RFC 9208 section 4.5). */
export function parseQuotaLimits(args: Args): Array<{ resource: string; limit: number }> {
  const list = args.list('resource limits');
  const limits: Array<{ resource: string; limit: number }> = [];
  while (!list.atEnd) limits.push({ resource: list.atom('resource'), limit: list.number('limit') });
  return limits;
}
