// Shared by the account commands (`tandem mail domain|user|alias|list|admin`): sizes and
// quotas as people write them, and output of one record. The operations themselves
// (checks, warnings) live in src/mail/http/admin/account-ops.ts, shared with the API.
import { CliError } from './io.ts';

const UNITS: Record<string, number> = { '': 1, B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/**
 * Parses a size as quotas are written in Dovecot and Postfix: "1048576", "500M", "2G",
 * "1.5G", "500MB", "500MiB" (units are powers of 1024), "0" or "unlimited" for none.
 * @example parseSize('500M') === 524288000
 */
export function parseSize(text: string): number {
  const t = text.trim();
  if (/^(unlimited|none)$/i.test(t)) return 0;
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(t);
  if (!m) throw new CliError(`size "${text}" is not understood (examples: 1048576, 500M, 2G, 0 or unlimited)`);
  const bytes = Math.floor(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!);
  if (!Number.isSafeInteger(bytes)) throw new CliError(`size "${text}" is too large`);
  if (m[2] === '' && m[1]!.includes('.')) throw new CliError(`size "${text}": a byte count must be a whole number`);
  return bytes;
}

/** Formats a byte count for people, in powers of 1024 like parseSize. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = value >= 100 || Number.isInteger(value) ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** A quota for people: 0 means no limit. */
export function formatQuota(bytes: number): string {
  return bytes === 0 ? 'unlimited' : formatSize(bytes);
}

/** Prints one record as "key: value" lines, or as a JSON object. */
export function printRecord(record: Record<string, unknown>, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
    return;
  }
  const width = Math.max(...Object.keys(record).map((k) => k.length));
  for (const [key, value] of Object.entries(record)) {
    const text = value === null || value === undefined || value === '' ? '-'
      : Array.isArray(value) ? (value.length === 0 ? '-' : value.join(', '))
        : String(value);
    process.stdout.write(`${`${key}:`.padEnd(width + 2)}${text}\n`);
  }
}

/** Prints the one-line confirmation of a change. */
export function done(text: string): void {
  process.stdout.write(`${text}\n`);
}
