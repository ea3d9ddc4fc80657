// `tandem mail queue list|show|flush|delete`: inspect and steer the outbound queue of a
// volume. Works while the smtp service runs: changes go through entry locks and
// queue/.flush wakes its runner. Works on this host's volume (--data) or through the
// admin API at the VIP (--remote).
import type { Command } from 'commander';
import type { QueueDetail, QueueRow } from '../mail/http/admin/ops.ts';
import type { FlushResult } from '../mail/queue/control.ts';
import { action, printTable } from './io.ts';
import { withTargetOptions, type TargetOpts } from './remote/target.ts';
import { withAdmin, seg } from './remote/admin.ts';

/** "42s", "5m", "3h", "2d": short ages for the table. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

/** The most recent recipient result: what an operator wants to see first. */
function lastResult(e: QueueRow): string | null {
  const latest = [...e.recipients].filter((r) => r.lastResult).sort((a, b) => (b.lastAttemptAt ?? 0) - (a.lastAttemptAt ?? 0))[0];
  return latest?.lastResult ?? null;
}

/** The most entries one listing shows (the API's limit); the rest are counted. */
const LIST_LIMIT = 10_000;

export function registerQueueCommands(mail: Command): void {
  const queue = mail.command('queue').description('the outbound queue: list, show, flush, delete');

  withTargetOptions(queue.command('list'))
    .description('list queued messages: age, sender, recipient counts, next attempt, last result')
    .option('--json', 'print JSON')
    .action(action(async (opts: TargetOpts & { json?: boolean }) => withAdmin(opts, async (api) => {
      const { total, entries } = await api.call<{ total: number; entries: QueueRow[] }>('GET', '/queue', { query: { limit: LIST_LIMIT } });
      const now = Date.now();
      const rows = entries.map((e) => (opts.json
        ? { id: e.id, sender: e.sender, createdAt: new Date(e.createdAt).toISOString(), ageSeconds: Math.round((now - e.createdAt) / 1000), size: e.size,
          pending: e.pending, delivered: e.delivered, failed: e.failed, nextAttemptAt: new Date(e.nextAttemptAt).toISOString(), lastResult: lastResult(e) }
        : { id: e.id, age: formatDuration(now - e.createdAt), sender: e.sender === '' ? '<>' : e.sender, pending: e.pending, failed: e.failed,
          next: e.nextAttemptAt <= now ? 'now' : `in ${formatDuration(e.nextAttemptAt - now)}`, last: lastResult(e) }));
      printTable(rows, Boolean(opts.json));
      if (total > entries.length) process.stderr.write(`tandem: showing the oldest ${entries.length} of ${total} queued messages\n`);
    })));

  withTargetOptions(queue.command('show'))
    .description('show one queued message: envelope, each recipient\'s state, message headers')
    .argument('<id>', 'queue id (from "queue list")')
    .option('--json', 'print JSON')
    .action(action(async (id: string, opts: TargetOpts & { json?: boolean }) => withAdmin(opts, async (api) => {
      const e = await api.call<QueueDetail>('GET', `/queue/${seg(id)}`);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(e, null, 2)}\n`);
        return;
      }
      const out = process.stdout;
      out.write(`id:           ${e.id}\nsender:       ${e.sender === '' ? '<> (null sender: a bounce)' : e.sender}\n`);
      out.write(`queued:       ${new Date(e.createdAt).toISOString()} (${formatDuration(Date.now() - e.createdAt)} ago)\n`);
      out.write(`size:         ${e.size} bytes\nnext attempt: ${new Date(e.nextAttemptAt).toISOString()}\n`);
      if (e.envid || e.ret) out.write(`dsn:          ${[e.envid ? `ENVID=${e.envid}` : '', e.ret ? `RET=${e.ret}` : ''].filter(Boolean).join(' ')}\n`);
      out.write('\n');
      printTable(e.recipients.map((r) => ({ recipient: r.address, state: r.status, attempts: r.attempts, mta: r.remoteMta ?? null, result: r.lastResult ?? null })), false);
      out.write(`\n${e.headers ?? '(message data missing)\n'}`);
    })));

  withTargetOptions(queue.command('flush'))
    .description('make every queued message (or one) due now and wake the queue runner')
    .argument('[id]', 'only this queue id')
    .action(action(async (id: string | undefined, opts: TargetOpts) => withAdmin(opts, async (api) => {
      const r = await api.call<FlushResult>('POST', '/queue/flush', { body: id === undefined ? {} : { id } });
      process.stdout.write(`flushed ${r.flushed.length} entr${r.flushed.length === 1 ? 'y' : 'ies'}${r.busy.length ? `; being delivered now: ${r.busy.join(', ')}` : ''}\n`);
    })));

  withTargetOptions(queue.command('delete'))
    .description('remove a message from the queue (with --bounce, send the sender a DSN first)')
    .argument('<id>', 'queue id (from "queue list")')
    .option('--bounce', 'fail its pending recipients and send the sender a delivery status notification')
    .action(action(async (id: string, opts: TargetOpts & { bounce?: boolean }) => withAdmin(opts, async (api) => {
      const { dsnId } = await api.call<{ dsnId: string | null }>('DELETE', `/queue/${seg(id)}`, { query: { bounce: opts.bounce ? 'true' : undefined } });
      process.stdout.write(`deleted ${id}${dsnId ? `; DSN queued as ${dsnId}` : ''}\n`);
    })));
}
