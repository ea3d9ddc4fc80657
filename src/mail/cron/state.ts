// Durable per-job state on the volume (run/cron/JOB.json), so the next cron process,
// on this node or after a failover on another, knows what ran and what was cut short.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { VolumeLayout } from '../core/volume.ts';
import { mkdirDurable, replaceFileDurable } from '../../lib/durable.ts';
import type { JobState } from './policy/due.ts';

export function cronDir(layout: VolumeLayout): string {
  return join(layout.runDir, 'cron');
}

export async function readJobState(layout: VolumeLayout, job: string): Promise<JobState | null> {
  try {
    const raw = JSON.parse(await readFile(join(cronDir(layout), `${job}.json`), 'utf8')) as Partial<JobState>;
    if (typeof raw !== 'object' || raw === null) return null;
    return {
      job,
      startedAt: typeof raw.startedAt === 'number' ? raw.startedAt : null,
      finishedAt: typeof raw.finishedAt === 'number' ? raw.finishedAt : null,
      ok: typeof raw.ok === 'boolean' ? raw.ok : null,
      summary: typeof raw.summary === 'string' ? raw.summary : '',
      knownSince: typeof raw.knownSince === 'number' ? raw.knownSince : 0,
    };
  } catch {
    return null; // missing or torn (a torn file cannot happen with replaceFileDurable, but be safe)
  }
}

export async function readAllJobStates(layout: VolumeLayout, jobs: readonly string[]): Promise<Map<string, JobState>> {
  const out = new Map<string, JobState>();
  for (const job of jobs) {
    const s = await readJobState(layout, job);
    if (s) out.set(job, s);
  }
  return out;
}

/** Writes a job's state atomically and durably (temp file, fsync, rename, dir fsync). */
export async function writeJobState(layout: VolumeLayout, state: JobState): Promise<void> {
  await mkdirDurable(cronDir(layout));
  await replaceFileDurable(join(cronDir(layout), `${state.job}.json`), `${JSON.stringify(state)}\n`);
}

/** Names of state files present (for `tandem mail cron list`). */
export async function stateFiles(layout: VolumeLayout): Promise<string[]> {
  return (await readdir(cronDir(layout)).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
}
