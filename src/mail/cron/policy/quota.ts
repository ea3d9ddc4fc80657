// Quota warnings (PURE): which threshold, if any, a user is warned about now, and the
// level to remember. A user is warned once per threshold crossed; the memory drops
// when usage falls below a threshold, so crossing it again warns again.

export interface QuotaDecision {
  /** The threshold to warn about now (percent), or null. */
  readonly warn: number | null;
  /** The highest threshold at or below the current usage: what to remember. */
  readonly level: number;
}

/** @param warned the level remembered from the last run (0: none). */
export function quotaDecision(usedBytes: number, quotaBytes: number, thresholds: readonly number[], warned: number): QuotaDecision {
  if (quotaBytes <= 0) return { warn: null, level: 0 };
  const percent = (usedBytes / quotaBytes) * 100;
  const crossed = thresholds.filter((t) => percent >= t);
  const level = crossed.length > 0 ? Math.max(...crossed) : 0;
  return { warn: level > warned ? level : null, level };
}
