// Vacation replies (webmail settings): after a copy is stored in a user's INBOX, answer
// the sender once per interval with the user's message, as an automatic response (RFC
// 3834: Auto-Submitted: auto-replied, null envelope sender so nothing bounces back to
// it). The decision is policy/vacation.ts; this file reads settings and state, composes
// the reply and queues it. Failures are logged and never affect the delivery itself.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { User } from '../directory/directory.ts';
import { replaceFileDurable } from '../../lib/durable.ts';
import { enqueueMessage } from '../queue/spool.ts';
import { headerValues } from './message/headers.ts';
import { vacationVerdict, VACATION_INTERVAL_MS } from './policy/vacation.ts';
import type { DeliveryDeps } from './deliver.ts';

const STATE_FILE = '.tandem-vacation.json';
/** Senders remembered per user; the oldest are forgotten first. */
const MAX_SENDERS = 5000;

/** One reply at a time per user in this process, so two deliveries do not both answer. */
const chains = new Map<string, Promise<void>>();

export function vacationReply(deps: DeliveryDeps, user: User, origins: readonly string[], sender: string, data: Buffer): Promise<void> {
  const prev = chains.get(user.address) ?? Promise.resolve();
  const next = prev.then(() => reply(deps, user, origins, sender, data)).catch((err: unknown) => {
    deps.log.warn({ event: 'vacation.failed', user: user.address, err }, `vacation reply for ${user.address} failed`);
  });
  chains.set(user.address, next);
  void next.finally(() => { if (chains.get(user.address) === next) chains.delete(user.address); });
  return next;
}

async function reply(deps: DeliveryDeps, user: User, origins: readonly string[], sender: string, data: Buffer): Promise<void> {
  const settings = deps.directory.mailSettings(user.address).vacation;
  if (!settings.enabled) return;
  const stateFile = join(deps.layout.maildir(user.domain, user.local), STATE_FILE);
  const state = await readState(stateFile);
  const key = sender.toLowerCase();
  const now = Date.now();
  const verdict = vacationVerdict({
    sender, userAddresses: [user.address, ...origins], header: (n) => headerValues(data, n),
    lastReplyAt: state[key] ?? null, now, intervalMs: VACATION_INTERVAL_MS,
  });
  if (!verdict.reply) {
    deps.log.debug({ event: 'vacation.skipped', user: user.address, sender, why: verdict.why });
    return;
  }
  const subject = headerValues(data, 'subject')[0]?.trim() ?? '';
  const messageId = headerValues(data, 'message-id')[0]?.trim();
  const references = [...headerValues(data, 'references').join(' ').split(/\s+/).filter(Boolean), ...(messageId ? [messageId] : [])];
  const raw = await new MailComposer({
    from: { name: user.displayName, address: user.address },
    to: sender,
    subject: settings.subject || `Auto: ${subject}`.trim(),
    text: settings.body.replace(/\r?\n/g, '\r\n'),
    messageId: `<vacation.${randomBytes(9).toString('hex')}@${deps.settings.hostname}>`,
    date: new Date(now),
    ...(messageId ? { inReplyTo: messageId } : {}),
    ...(references.length ? { references } : {}),
    headers: { 'Auto-Submitted': 'auto-replied (vacation)', 'X-Auto-Response-Suppress': 'All' },
  }).compile().build();
  // The null sender: a reply to an automatic reply can never loop back here (RFC 3834 3.3).
  const entry = await enqueueMessage(deps.layout.queueDir, { sender: '', recipients: [sender], data: raw });
  deps.onRemoteQueued?.();
  deps.log.info({ event: 'vacation.sent', user: user.address, sender, queueId: entry.id }, `vacation reply from ${user.address} to ${sender}`);
  state[key] = now;
  await replaceFileDurable(stateFile, JSON.stringify(prune(state, now)));
}

async function readState(file: string): Promise<Record<string, number>> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? parsed as Record<string, number> : {};
  } catch {
    return {}; // missing or damaged: at worst one extra reply
  }
}

function prune(state: Record<string, number>, now: number): Record<string, number> {
  const live = Object.entries(state).filter(([, t]) => typeof t === 'number' && now - t < VACATION_INTERVAL_MS);
  live.sort((a, b) => b[1] - a[1]);
  return Object.fromEntries(live.slice(0, MAX_SENDERS));
}
