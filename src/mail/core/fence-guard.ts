// Fencing for the mail services (DESIGN 2.2, issue 5): a service remembers the volume's
// fencing token when it starts and, before every durable change (src/lib/durable.ts's
// commit gate), checks that the token on the volume is still that one. When another node
// has activated the volume since (this node was paused or cut off and its lease ran out),
// the write is refused with a temporary error, so the client retries against the new
// owner, and the service exits: it belongs to a replaced owner.
//
// The check and the write are two steps, so a takeover landing exactly between them is
// not caught by this guard alone; the lease (a replaced node self-fences before the new
// owner can start) is what closes that window. The guard catches what the lease cannot:
// a whole node frozen and thawed (SIGSTOP, VM pause) after the new owner took over.
import type { Logger } from '../../lib/log.ts';
import { setCommitGate } from '../../lib/durable.ts';
import { readFence } from '../../lib/fence.ts';
import { TandemError } from '../../lib/errors.ts';

export const FENCED_EXIT_CODE = 75;

export interface FenceGuardOptions {
  /** The volume root, where the volume agent writes `.tandem-fence`. */
  readonly root: string;
  readonly log: Logger;
  /** What to do once fenced (default: exit with FENCED_EXIT_CODE after replies are out). */
  readonly onFenced?: (reason: string) => void;
}

/**
 * Installs the guard when the volume carries a fence (it is managed by a cluster); returns
 * the token the service runs under, or null for a volume without one (standalone).
 */
export async function installFenceGuard(opts: FenceGuardOptions): Promise<number | null> {
  const start = await readFence(opts.root);
  if (start.kind === 'none') return null;
  if (start.kind === 'bad') throw new TandemError('MAIL_ERR_FENCE', 'not-possible', `cannot start: ${start.reason}`);
  const token = start.fence.token;
  const onFenced = opts.onFenced ?? ((): void => { setTimeout(() => process.exit(FENCED_EXIT_CODE), 1000).unref(); });
  let fenced: string | null = null;
  setCommitGate(async () => {
    if (fenced === null) {
      const now = await readFence(opts.root);
      if (now.kind === 'ok' && now.fence.token === token) return;
      fenced = now.kind === 'ok'
        ? `the volume was activated again by ${now.fence.node} with fencing token ${now.fence.token}; this service started under ${token}`
        : now.kind === 'none' ? 'the volume\'s fencing file is gone (volume unmounted or replaced)' : now.reason;
      opts.log.error({ event: 'service.fenced', token, reason: fenced }, `refusing to write: ${fenced}; exiting`);
      onFenced(fenced);
    }
    throw new TandemError('MAIL_ERR_FENCED', 'temp', `this server no longer owns the mail volume (${fenced}); try again`);
  });
  opts.log.info({ event: 'service.fence', token }, `running under fencing token ${token}`);
  return token;
}
