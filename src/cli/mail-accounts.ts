// Shared plumbing of the account commands (`tandem mail domain|user|alias|list`): the
// --data option, opening the volume's directory, strict argument parsing and output.
// Argument errors become CliError here, so no command can end in a stack trace.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { openVolume, type VolumeLayout } from '../mail/core/volume.ts';
import type { Settings } from '../mail/core/settings.ts';
import { parseAddress, normalizeDomain, isValidDomain } from '../mail/core/address.ts';
import { Directory } from '../mail/directory/directory.ts';
import { replicaOf } from '../mail/core/context.ts';
import { CliError } from './io.ts';

/** What every account command works on. */
export interface Accounts {
  readonly layout: VolumeLayout;
  readonly settings: Settings;
  readonly directory: Directory;
}

/** Adds the volume option every account command takes; $TANDEM_DATA is its default. */
export function withDataOption(cmd: Command): Command {
  return cmd.requiredOption('--data <dir>', 'data volume directory (default: $TANDEM_DATA)', process.env.TANDEM_DATA);
}

/**
 * Opens the volume (validating it and its settings first, so a typo in --data is
 * reported as "not a Tandem volume" instead of creating an empty database), runs `fn`
 * and always closes the directory.
 */
export async function withAccounts<T>(dataDir: string, fn: (a: Accounts) => Promise<T> | T): Promise<T> {
  // Absolute, so the mailbox paths the commands print are usable from anywhere.
  const { layout, settings } = await openVolume(resolve(dataDir));
  const directory = Directory.open(layout.accountsDb, { replicaOf: replicaOf(settings) });
  try {
    return await fn({ layout, settings, directory });
  } finally {
    directory.close();
  }
}

/** Parses a mail address argument into its normalised parts, or fails naming it. */
export function requireAddress(text: string, what = 'address'): { address: string; local: string; domain: string } {
  const a = parseAddress(text.trim());
  if (!a) throw new CliError(`${what} "${text}" is not a valid mail address (expected local@domain)`);
  return { address: `${a.local}@${a.domain}`, local: a.local, domain: a.domain };
}

/** Parses an address whose domain must be one of ours. */
export function requireLocalAddress(dir: Directory, text: string, what = 'address'): { address: string; local: string; domain: string } {
  const a = requireAddress(text, what);
  if (!dir.isLocalDomain(a.domain)) {
    throw new CliError(`domain ${a.domain} is not a local domain; add it first with "tandem mail domain add ${a.domain}"`);
  }
  return a;
}

/**
 * Parses a new account's address: local domain, and no user, alias or list has it yet
 * (checked here too so the operator is not asked for a password first).
 */
export function requireFreeLocalAddress(dir: Directory, text: string): { address: string; local: string; domain: string } {
  const a = requireLocalAddress(dir, text);
  const taken = dir.getUser(a.address) ? 'a user' : dir.getAlias(a.address) ? 'an alias' : dir.getList(a.address) ? 'a list' : null;
  if (taken) throw new CliError(`${a.address} already exists as ${taken}`);
  return a;
}

/** Checks a --domain filter: it must name one of our domains. */
export function requireLocalDomain(dir: Directory, text: string): string {
  const domain = normalizeDomain(text);
  if (!isValidDomain(domain)) throw new CliError(`"${text}" is not a valid domain name`);
  if (!dir.isLocalDomain(domain)) throw new CliError(`domain ${domain} is not a local domain`);
  return domain;
}

/**
 * A local address that nothing answers for would bounce every message sent to it, so
 * alias targets, list members and catch-alls that point at one get a warning.
 */
export function warnIfDangling(dir: Directory, address: string, role: string): void {
  const r = dir.resolve(address);
  if (r && (r.kind === 'unknown-local' || r.kind === 'catchall')) {
    process.stderr.write(`tandem: warning: ${role} ${address} is in a local domain but no user, alias or list has that address; mail to it will bounce\n`);
  }
}

/** Aliases, lists and catch-alls that name an address: they bounce once it is gone. */
export function referencesTo(dir: Directory, address: string): string[] {
  return [
    ...dir.listAliases().filter((a) => a.targets.includes(address)).map((a) => `alias ${a.address}`),
    ...dir.listLists().filter((l) => l.members.some((m) => m.address === address)).map((l) => `list ${l.address}`),
    ...dir.listDomains().filter((d) => d.catchall === address).map((d) => `the catch-all of ${d.name}`),
  ];
}

export function warnReferences(references: string[], address: string): void {
  if (references.length === 0) return;
  process.stderr.write(`tandem: warning: ${address} is still named by ${references.join(', ')}; mail sent there for it will bounce\n`);
}

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

/** Milliseconds since the epoch as an ISO timestamp for output. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** Prints the one-line confirmation of a change. */
export function done(text: string): void {
  process.stdout.write(`${text}\n`);
}
