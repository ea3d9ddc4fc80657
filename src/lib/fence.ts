// The fencing file on a data volume (DESIGN 2.2): the token (lease epoch) of the node that
// activated the volume last, written durably by the volume agent on activation. The mail
// services compare it with the token they started under before every durable commit.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { replaceFileDurable } from './durable.ts';

/** Well-known name in the root of the data directory. */
export const FENCE_FILE = '.tandem-fence';

/** One line of JSON, e.g. {"token":42,"node":"sv1","cluster":"c","group":"mail","resource":"volume","at":"2026-..."}. */
export interface FenceRecord {
  /** The lease epoch the volume was activated under; only ever grows. */
  readonly token: number;
  /** The node that activated it. */
  readonly node: string;
  readonly cluster: string;
  readonly group: string;
  readonly resource: string;
  /** Wall-clock time of activation, ISO 8601 (for people). */
  readonly at: string;
}

export type FenceRead =
  | { readonly kind: 'none' }
  | { readonly kind: 'ok'; readonly fence: FenceRecord }
  | { readonly kind: 'bad'; readonly reason: string };

/** Reads `<dir>/.tandem-fence`. A malformed file is reported, never guessed at. */
export async function readFence(dir: string): Promise<FenceRead> {
  let text: string;
  try {
    text = await readFile(join(dir, FENCE_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'bad', reason: `cannot read ${join(dir, FENCE_FILE)}: ${(err as Error).message}` };
  }
  try {
    const f = JSON.parse(text) as Partial<FenceRecord>;
    if (typeof f.token !== 'number' || !Number.isSafeInteger(f.token) || f.token < 0 || typeof f.node !== 'string') {
      return { kind: 'bad', reason: `${join(dir, FENCE_FILE)} has no valid token and node` };
    }
    return { kind: 'ok', fence: f as FenceRecord };
  } catch {
    return { kind: 'bad', reason: `${join(dir, FENCE_FILE)} is not JSON` };
  }
}

/** Replaces the fence atomically and durably (temp file, fsync, rename, directory fsync). */
export async function writeFence(dir: string, fence: FenceRecord): Promise<void> {
  await replaceFileDurable(join(dir, FENCE_FILE), `${JSON.stringify(fence)}\n`);
}
