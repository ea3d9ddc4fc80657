// LIST (RFC 9051 6.3.9) with LIST-EXTENDED (RFC 5258) selection and return options,
// LIST-STATUS (RFC 5819), SPECIAL-USE (RFC 6154) and CHILDREN (RFC 3348); LSUB (RFC 3501
// 6.3.9) for IMAP4rev1 clients.
import { listResponse, statusResponse } from '../../proto/untagged.ts';
import { SEPARATOR } from '../../proto/mailbox-name.ts';
import type { Command } from '../../proto/command-types.ts';
import { defineCommand, ok, type Result, type SessionContext } from '../command.ts';
import { listMatcher, withParents } from '../list-match.ts';
import { statusValues } from '../mailbox-status.ts';
import type { LoggedIn } from '../state.ts';

type ListCommand = Extract<Command, { name: 'LIST' }>;

interface Row { name: string; attrs: string[]; childInfo: boolean; selectable: boolean }

async function list(ctx: SessionContext, state: LoggedIn, cmd: ListCommand): Promise<Result> {
  const reference = ctx.decodeName(cmd.reference);
  if (reference === null) return ok('LIST completed (reference is not a valid name)');
  // RFC 9051 6.3.9: an empty pattern asks for the separator and the root.
  if (cmd.patterns.length === 1 && cmd.patterns[0] === '' && !cmd.extended) {
    await ctx.send(listResponse('LIST', ['\\Noselect'], SEPARATOR, '', false, ctx.format));
    return ok('LIST completed');
  }
  const matchers = cmd.patterns.map((p) => ctx.decodeName(p)).filter((p): p is string => p !== null).map((p) => listMatcher(reference, p));
  const matches = (n: string): boolean => matchers.some((m) => m(n));
  const folders = await state.store.list();
  const info = new Map(folders.map((f) => [f.name, f]));
  const subscribed = new Set(await state.store.subscriptions());
  const sel = new Set(cmd.selection);
  const onlySubscribed = sel.has('SUBSCRIBED');
  const onlySpecial = sel.has('SPECIAL-USE');
  const wantSubscribed = onlySubscribed || cmd.returns.subscribed;
  const all = withParents([...folders.map((f) => f.name), ...(onlySubscribed ? subscribed : [])]);
  const rows: Row[] = [];
  for (const [name, real] of all) {
    const f = info.get(name);
    const exists = real && f !== undefined;
    if (onlySubscribed && !subscribed.has(name)) {
      // RECURSIVEMATCH: a parent whose child is subscribed is listed with CHILDINFO.
      if (sel.has('RECURSIVEMATCH') && matches(name) && [...subscribed].some((s) => s.startsWith(name + SEPARATOR))) {
        rows.push({ name, attrs: exists ? [] : ['\\NonExistent'], childInfo: true, selectable: false });
      }
      continue;
    }
    if (!matches(name)) continue;
    if (onlySpecial && !f?.specialUse) continue;
    const attrs: string[] = [];
    if (!exists) attrs.push(onlySubscribed || cmd.extended || ctx.rev2 ? '\\NonExistent' : '\\Noselect');
    const hasChildren = [...all.keys()].some((n) => n.startsWith(name + SEPARATOR));
    attrs.push(hasChildren ? '\\HasChildren' : '\\HasNoChildren');
    if (wantSubscribed && subscribed.has(name)) attrs.push('\\Subscribed');
    // RFC 6154 2: special-use attributes are shown whether or not RETURN (SPECIAL-USE) asked.
    if (f?.specialUse) attrs.push(f.specialUse);
    rows.push({ name, attrs, childInfo: false, selectable: exists });
  }
  for (const r of rows) {
    await ctx.send(listResponse('LIST', r.attrs, SEPARATOR, ctx.encodeName(r.name), r.childInfo, ctx.format));
    if (cmd.returns.status && r.selectable) {
      // RFC 5819: a folder that fails STATUS is still listed; its STATUS is left out.
      const values = await state.store.folder(r.name).then((ix) => statusValues(ix, cmd.returns.status!, ctx.deps.limits.appendLimit), () => null);
      if (values) await ctx.send(statusResponse(ctx.encodeName(r.name), values, ctx.format));
    }
  }
  return ok('LIST completed');
}

export const LIST = defineCommand({ name: 'LIST', states: ['authenticated', 'selected'], run: list });

export const LSUB = defineCommand({
  name: 'LSUB',
  states: ['authenticated', 'selected'],
  async run(ctx, state, cmd) {
    const reference = ctx.decodeName(cmd.reference);
    const pattern = ctx.decodeName(cmd.pattern);
    if (reference === null || pattern === null) return ok('LSUB completed');
    const match = listMatcher(reference, pattern);
    const existing = new Set((await state.store.list()).map((f) => f.name));
    for (const name of await state.store.subscriptions()) {
      if (!match(name)) continue;
      await ctx.send(listResponse('LSUB', existing.has(name) ? [] : ['\\Noselect'], SEPARATOR, ctx.encodeName(name), false, ctx.format));
    }
    return ok('LSUB completed');
  },
});
