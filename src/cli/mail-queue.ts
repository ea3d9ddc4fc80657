// `tandem mail queue list|show|flush|delete`: inspect and steer the outbound queue of a
// volume. Works while the smtp service runs: changes go through entry locks and
// queue/.flush wakes its runner.
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { openVolume } from '../mail/core/volume.ts';
import { logger } from '../lib/log.ts';
import { dataPath, listEntryIds, readEntry, type QueueEntry } from '../mail/queue/spool.ts';
import { headerBlock } from '../mail/queue/dsn.ts';
import { deleteQueueEntry, flushQueue } from '../mail/queue/control.ts';
import { action, printTable, CliError } from './io.ts';

/** "42s", "5m", "3h", "2d": short ages for the table. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

function counts(e: QueueEntry): { pending: number; delivered: number; failed: number } {
  const n = (s: string) => e.recipients.filter((r) => r.status === s).length;
  return { pending: n('pending'), delivered: n('delivered'), failed: n('failed') };
}

/** The most recent recipient result: what an operator wants to see first. */
function lastResult(e: QueueEntry): string | null {
  const latest = [...e.recipients].filter((r) => r.lastResult).sort((a, b) => (b.lastAttemptAt ?? 0) - (a.lastAttemptAt ?? 0))[0];
  return latest?.lastResult ?? null;
}

async function loadEntry(queueDir: string, id: string): Promise<QueueEntry> {
  const entry = await readEntry(queueDir, id);
  if (!entry) throw new CliError(`no queue entry "${id}" (see "tandem mail queue list")`);
  return entry;
}

const quiet = () => logger('queue-cli').child({}, { level: 'warn' });

export function registerQueueCommands(mail: Command): void {
  const queue = mail.command('queue').description('the outbound queue: list, show, flush, delete');

  queue.command('list')
    .description('list queued messages: age, sender, recipient counts, next attempt, last result')
    .requiredOption('--data <dir>', 'data volume directory (default: $TANDEM_DATA)', process.env.TANDEM_DATA)
    .option('--json', 'print JSON')
    .action(action(async (opts: { data: string; json?: boolean }) => {
      const { layout } = await openVolume(opts.data);
      const now = Date.now();
      const rows: Array<Record<string, unknown>> = [];
      for (const id of await listEntryIds(layout.queueDir)) {
        const e = await readEntry(layout.queueDir, id).catch(() => null);
        if (!e) continue;
        const c = counts(e);
        rows.push(opts.json
          ? { id, sender: e.sender, createdAt: new Date(e.createdAt).toISOString(), ageSeconds: Math.round((now - e.createdAt) / 1000), size: e.size, ...c, nextAttemptAt: new Date(e.nextAttemptAt).toISOString(), lastResult: lastResult(e) }
          : { id, age: formatDuration(now - e.createdAt), sender: e.sender === '' ? '<>' : e.sender, pending: c.pending, failed: c.failed, next: e.nextAttemptAt <= now ? 'now' : `in ${formatDuration(e.nextAttemptAt - now)}`, last: lastResult(e) });
      }
      printTable(rows, Boolean(opts.json));
    }));

  queue.command('show')
    .description('show one queued message: envelope, each recipient\'s state, message headers')
    .argument('<id>', 'queue id (from "queue list")')
    .requiredOption('--data <dir>', 'data volume directory (default: $TANDEM_DATA)', process.env.TANDEM_DATA)
    .option('--json', 'print JSON')
    .action(action(async (id: string, opts: { data: string; json?: boolean }) => {
      const { layout } = await openVolume(opts.data);
      const e = await loadEntry(layout.queueDir, id);
      const data = await readFile(dataPath(layout.queueDir, id)).catch(() => null);
      const headers = data ? headerBlock(data).toString('utf8') : null;
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ ...e, headers }, null, 2)}\n`);
        return;
      }
      const out = process.stdout;
      out.write(`id:           ${e.id}\nsender:       ${e.sender === '' ? '<> (null sender: a bounce)' : e.sender}\n`);
      out.write(`queued:       ${new Date(e.createdAt).toISOString()} (${formatDuration(Date.now() - e.createdAt)} ago)\n`);
      out.write(`size:         ${e.size} bytes\nnext attempt: ${new Date(e.nextAttemptAt).toISOString()}\n`);
      if (e.envid || e.ret) out.write(`dsn:          ${[e.envid ? `ENVID=${e.envid}` : '', e.ret ? `RET=${e.ret}` : ''].filter(Boolean).join(' ')}\n`);
      out.write('\n');
      printTable(e.recipients.map((r) => ({ recipient: r.address, state: r.status, attempts: r.attempts, mta: r.remoteMta ?? null, result: r.lastResult ?? null })), false);
      out.write(`\n${headers ?? '(message data missing)\n'}`);
    }));

  queue.command('flush')
    .description('make every queued message (or one) due now and wake the queue runner')
    .argument('[id]', 'only this queue id')
    .requiredOption('--data <dir>', 'data volume directory (default: $TANDEM_DATA)', process.env.TANDEM_DATA)
    .action(action(async (id: string | undefined, opts: { data: string }) => {
      const { layout } = await openVolume(opts.data);
      const r = await flushQueue(layout.queueDir, id ?? null).catch((err: Error) => { throw new CliError(err.message); });
      process.stdout.write(`flushed ${r.flushed.length} entr${r.flushed.length === 1 ? 'y' : 'ies'}${r.busy.length ? `; being delivered now: ${r.busy.join(', ')}` : ''}\n`);
    }));

  queue.command('delete')
    .description('remove a message from the queue (with --bounce, send the sender a DSN first)')
    .argument('<id>', 'queue id (from "queue list")')
    .requiredOption('--data <dir>', 'data volume directory (default: $TANDEM_DATA)', process.env.TANDEM_DATA)
    .option('--bounce', 'fail its pending recipients and send the sender a delivery status notification')
    .action(action(async (id: string, opts: { data: string; bounce?: boolean }) => {
      const { layout, settings } = await openVolume(opts.data);
      const { dsnId } = await deleteQueueEntry({ layout, settings, log: quiet() }, id, Boolean(opts.bounce));
      process.stdout.write(`deleted ${id}${dsnId ? `; DSN queued as ${dsnId}` : ''}\n`);
    }));
}
