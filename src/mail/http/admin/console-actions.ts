// The admin console's form actions, as a table: op name -> what it does and where the
// browser goes back to. One POST route runs them all after the admin and CSRF checks,
// and an expected failure comes back to the same page as an error line.
import type { HttpDeps } from '../deps.ts';
import { TandemError } from '../../../lib/errors.ts';
import { normalizeDomain } from '../../core/address.ts';
import { passwordProblem } from '../policy/password-rule.ts';
import type { Settings } from '../../core/settings.ts';
import { flush, deleteEntry } from './ops.ts';
import { clusterLink, restartThroughCluster } from './cluster-restart.ts';

export type Form = Record<string, unknown>;

export interface ActionResult { back: string; notice: string }

function str(form: Form, name: string, max = 1000): string {
  const v = form[name];
  if (typeof v !== 'string' || v.trim() === '') throw new TandemError('HTTP_ERR_INVALID', 'invalid', `${name} is required`);
  if (v.length > max) throw new TandemError('HTTP_ERR_INVALID', 'invalid', `${name} is too long (at most ${max} characters)`);
  return v.trim();
}

function opt(form: Form, name: string, max = 1000): string {
  const v = form[name];
  return typeof v === 'string' ? v.trim().slice(0, max) : '';
}

/** "0", "500M", "2G", "1048576": a quota in bytes. */
export function parseQuota(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(text.trim());
  if (!m) throw new TandemError('HTTP_ERR_INVALID', 'invalid', `quota "${text}" is not a size (e.g. 0 for unlimited, 500M, 2G)`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.round(Number(m[1]) * mult);
}

function checkPassword(pw: string, address: string, settings: Settings): void {
  const problem = passwordProblem(pw, address, settings);
  if (problem) throw new TandemError('MAIL_ERR_WEAK_PASSWORD', 'invalid', problem);
}

const enc = encodeURIComponent;

export const CONSOLE_ACTIONS: Readonly<Record<string, (deps: HttpDeps, f: Form, self: string) => Promise<ActionResult> | ActionResult>> = {
  'domain-add': (deps, f) => {
    const d = deps.ctx.directory.addDomain(str(f, 'name', 253));
    return { back: '/admin/domains', notice: `domain ${d.name} added` };
  },
  'domain-delete': (deps, f) => {
    const name = normalizeDomain(str(f, 'name', 253));
    if (name === deps.ctx.settings.primaryDomain) throw new TandemError('MAIL_ERR_IN_USE', 'not-possible', `${name} is the primary domain in cfg/mail.yaml`);
    deps.ctx.directory.deleteDomain(name);
    return { back: '/admin/domains', notice: `domain ${name} deleted` };
  },
  'domain-catchall': (deps, f) => {
    const name = str(f, 'name', 253);
    const target = opt(f, 'target', 320);
    deps.ctx.directory.setCatchall(name, target === '' ? null : target);
    return { back: '/admin/domains', notice: target === '' ? `catch-all of ${name} removed` : `mail to unknown addresses of ${name} goes to ${target}` };
  },
  'user-add': async (deps, f) => {
    const address = str(f, 'address', 320);
    const pw = str(f, 'password', 1024);
    checkPassword(pw, address, deps.ctx.settings);
    const u = await deps.ctx.directory.addUser({ address, password: pw, displayName: opt(f, 'displayName', 200),
      quotaBytes: opt(f, 'quota') === '' ? deps.ctx.settings.delivery.defaultQuotaBytes : parseQuota(opt(f, 'quota')) });
    if (f.admin === '1') deps.web.setAdmin(u.address, true);
    return { back: `/admin/user?a=${enc(u.address)}`, notice: `user ${u.address} created` };
  },
  'user-update': (deps, f, self) => {
    const address = str(f, 'address', 320);
    const enabled = f.enabled === '1';
    const admin = f.admin === '1';
    if (address === self && (!enabled || !admin)) throw new TandemError('HTTP_ERR_SELF', 'not-possible', 'you cannot disable yourself or take away your own admin right here');
    const u = deps.ctx.directory.updateUser(address, { displayName: opt(f, 'displayName', 200), quotaBytes: parseQuota(opt(f, 'quota') || '0'), enabled });
    deps.web.setAdmin(u.address, admin);
    if (!enabled) deps.web.endSessionsOf(u.address);
    return { back: `/admin/user?a=${enc(u.address)}`, notice: `user ${u.address} saved` };
  },
  'user-password': async (deps, f) => {
    const address = str(f, 'address', 320);
    const pw = str(f, 'password', 1024);
    checkPassword(pw, address, deps.ctx.settings);
    await deps.ctx.directory.setPassword(address, pw);
    deps.web.endSessionsOf(address);
    return { back: `/admin/user?a=${enc(address)}`, notice: `password of ${address} reset; their sessions ended` };
  },
  'user-delete': (deps, f, self) => {
    const address = str(f, 'address', 320);
    if (address.toLowerCase() === self) throw new TandemError('HTTP_ERR_SELF', 'not-possible', 'you cannot delete yourself');
    deps.ctx.directory.deleteUser(address);
    return { back: '/admin/users', notice: `user ${address} deleted (the mailbox stays on disk)` };
  },
  'alias-add': (deps, f) => {
    const a = deps.ctx.directory.addAlias(str(f, 'address', 320), str(f, 'targets', 20_000).split(/[,\s]+/).filter((x) => x !== ''));
    return { back: '/admin/aliases', notice: `alias ${a.address} created` };
  },
  'alias-delete': (deps, f) => {
    const address = str(f, 'address', 320);
    deps.ctx.directory.deleteAlias(address);
    return { back: '/admin/aliases', notice: `alias ${address} deleted` };
  },
  'list-add': (deps, f) => {
    const l = deps.ctx.directory.addList({ address: str(f, 'address', 320), description: opt(f, 'description', 500) });
    return { back: `/admin/list?a=${enc(l.address)}`, notice: `list ${l.address} created` };
  },
  'list-update': (deps, f) => {
    const posting = opt(f, 'posting');
    const replyTo = opt(f, 'replyTo');
    if (!['members', 'anyone', 'moderators'].includes(posting) || !['sender', 'list'].includes(replyTo)) {
      throw new TandemError('HTTP_ERR_INVALID', 'invalid', 'posting must be members, anyone or moderators; reply-to sender or list');
    }
    const l = deps.ctx.directory.updateList(str(f, 'address', 320), { description: opt(f, 'description', 500),
      posting: posting as 'members', replyTo: replyTo as 'sender' });
    return { back: `/admin/list?a=${enc(l.address)}`, notice: `list ${l.address} saved` };
  },
  'list-member': (deps, f) => {
    const list = str(f, 'address', 320);
    const role = f.role === 'moderator' ? 'moderator' : 'member';
    deps.ctx.directory.addListMember(list, str(f, 'member', 320), role);
    return { back: `/admin/list?a=${enc(list)}`, notice: `${opt(f, 'member')} is a ${role} of ${list}` };
  },
  'list-member-remove': (deps, f) => {
    const list = str(f, 'address', 320);
    deps.ctx.directory.removeListMember(list, str(f, 'member', 320));
    return { back: `/admin/list?a=${enc(list)}`, notice: `${opt(f, 'member')} removed from ${list}` };
  },
  'list-delete': (deps, f) => {
    const list = str(f, 'address', 320);
    deps.ctx.directory.deleteList(list);
    return { back: '/admin/lists', notice: `list ${list} deleted` };
  },
  // S16: through the local node daemon (monitor suspended, restart, resumed), never a signal from here.
  'service-restart': async (_deps, f) => {
    const notice = await restartThroughCluster(clusterLink(), str(f, 'service', 40));
    return { back: '/admin/services', notice };
  },
  'queue-flush': async (deps, f) => {
    const id = opt(f, 'id', 80);
    const r = await flush(deps.ctx, id === '' ? null : id);
    return { back: id === '' ? '/admin/queue' : `/admin/queue/entry?id=${enc(id)}`, notice: `${r.flushed.length} entries due now${r.busy.length > 0 ? `, ${r.busy.length} being delivered` : ''}` };
  },
  'queue-delete': async (deps, f) => {
    const id = str(f, 'id', 80);
    const r = await deleteEntry(deps.ctx, id, f.bounce === '1');
    return { back: '/admin/queue', notice: `entry ${id} deleted${r.dsnId ? `; the sender gets a DSN (${r.dsnId})` : ''}` };
  },
};
