// Removes queue debris left by crashes: data files whose entry was never committed,
// temp files of interrupted atomic replaces, and lock files of dead processes.
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { removeStaleLock } from './lock.ts';

export interface SweepResult { removed: string[] }

/**
 * Sweeps `queueDir`. A lone .eml may still be receiving data (enqueueMessage writes it
 * before the .json and a slow client can pause for minutes), so it counts as debris
 * only when untouched for `orphanAgeMs`; callers pass at least the SMTP data timeout.
 */
export async function sweepQueue(queueDir: string, now: number, orphanAgeMs: number): Promise<SweepResult> {
  const names = await readdir(queueDir).catch(() => [] as string[]);
  const present = new Set(names);
  const removed: string[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const path = join(queueDir, name);
    if (name.endsWith('.lock')) {
      if (await removeStaleLock(path)) removed.push(name);
      continue;
    }
    const isOrphan = name.endsWith('.eml') && !present.has(`${name.slice(0, -4)}.json`);
    const isTemp = name.includes('.tmp-');
    if (!isOrphan && !isTemp) continue;
    const st = await stat(path).catch(() => null);
    if (!st) continue;
    const age = now - st.mtimeMs;
    // Temp files of replaceFileDurable are small and written in one go: a minute is plenty.
    if (age < (isOrphan ? orphanAgeMs : 60_000)) continue;
    // Re-check: the entry may have been committed since the directory was read.
    if (isOrphan && (await stat(join(queueDir, `${name.slice(0, -4)}.json`)).catch(() => null))) continue;
    await unlink(path).catch(() => undefined);
    removed.push(name);
  }
  return { removed };
}
