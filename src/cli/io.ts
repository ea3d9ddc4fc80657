// Small helpers shared by CLI commands: reading secrets without argv, failing with a
// clear message and a non-zero exit code instead of a stack trace.
import { createInterface } from 'node:readline';
import { TandemError } from '../lib/errors.ts';
import { SettingsError } from '../mail/core/settings.ts';

/**
 * Reads a password: from stdin when it is not a terminal (first line), else from a
 * prompt with echo off, asked twice. Never from argv, where `ps` would show it.
 */
export async function readPassword(prompt = 'Password: ', confirm = true): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(chunk as Buffer);
    const first = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
    if (first === '') throw new CliError('no password on standard input (pipe it in, e.g. `echo secret | tandem ...`)');
    return first;
  }
  const ask = (text: string) => new Promise<string>((resolve) => {
    const rl = createInterface({ input: stdin, output: process.stderr, terminal: true });
    const out = rl as unknown as { _writeToOutput: (s: string) => void };
    let prompted = false;
    out._writeToOutput = (s: string) => {
      // Show the prompt once, then hide typed characters.
      if (!prompted) { process.stderr.write(text); prompted = true; }
      else if (s.includes('\n')) process.stderr.write('\n');
    };
    rl.question(text, (answer) => { rl.close(); resolve(answer); });
  });
  const first = await ask(prompt);
  if (confirm) {
    const again = await ask('Again: ');
    if (again !== first) throw new CliError('the two passwords differ');
  }
  return first;
}

/** An error meant for the operator: printed without a stack trace. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

/** Prints an error the way every command does and returns the exit code. */
export function reportError(err: unknown): number {
  if (err instanceof CliError) {
    process.stderr.write(`tandem: ${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof TandemError || err instanceof SettingsError) {
    process.stderr.write(`tandem: ${err.message}\n`);
    return 1;
  }
  process.stderr.write(`tandem: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
  return 70;
}

/** Wraps a command action so errors become messages and exit codes. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      process.exitCode = reportError(err);
    }
  };
}

/** Prints rows as aligned columns, or JSON when asked. */
export function printTable(rows: Array<Record<string, unknown>>, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const cols = Object.keys(rows[0]!);
  const cell = (v: unknown) => (v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(',') : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(`${line(cols.map((c) => c.toUpperCase()))}\n`);
  for (const r of rows) process.stdout.write(`${line(cols.map((c) => cell(r[c])))}\n`);
}
