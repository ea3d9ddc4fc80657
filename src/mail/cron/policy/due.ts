// What the cron service must run when it starts (PURE): a job whose last run started
// but never finished (cut short by a crash or failover) runs again, and a job whose
// scheduled time passed while no cron process was running (the group was down or
// moving) runs once to catch up. The schedule arithmetic is passed in.

/** The durable record of one job (run/cron/JOB.json). Times are ms since the epoch. */
export interface JobState {
  readonly job: string;
  /** When the last run started; set durably before the job does anything. */
  readonly startedAt: number | null;
  /** When the last run ended (ok or failed); null while it runs or if it never ended. */
  readonly finishedAt: number | null;
  readonly ok: boolean | null;
  readonly summary: string;
  /** When the service first saw this job (so a new job is not "missed" since 1970). */
  readonly knownSince: number;
}

export interface DueJob { readonly job: string; readonly reason: string }

export interface JobSchedule {
  readonly job: string;
  readonly enabled: boolean;
  /** The first scheduled time strictly after `after` (ms), or null if none. */
  readonly nextAfter: (after: number) => number | null;
}

/**
 * Jobs to run at start-up, each with the sentence that explains why. A job is
 * interrupted when it started after it last finished; it missed a run when a
 * scheduled time lies between its last start (or when it became known) and now.
 */
export function dueAtStart(schedules: readonly JobSchedule[], states: ReadonlyMap<string, JobState>, now: number): DueJob[] {
  const due: DueJob[] = [];
  for (const s of schedules) {
    if (!s.enabled) continue;
    const st = states.get(s.job);
    if (!st) continue; // never seen: start counting from now, nothing missed yet
    if (st.startedAt !== null && (st.finishedAt === null || st.finishedAt < st.startedAt)) {
      due.push({ job: s.job, reason: `${s.job} started at ${iso(st.startedAt)} and never finished (crash or failover); running it again` });
      continue;
    }
    const since = st.startedAt ?? st.knownSince;
    const next = s.nextAfter(since);
    if (next !== null && next <= now) {
      due.push({ job: s.job, reason: `${s.job} missed its run at ${iso(next)} (no cron process was running); catching up` });
    }
  }
  return due;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
