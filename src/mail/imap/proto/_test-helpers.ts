// Test-only helper (module-private, not used by production code): command text through reader and parser.
import { CommandReader } from './reader.ts';
import { parseCommand } from './parse-command.ts';
import type { Command, CommandError } from './command-types.ts';

/** Parses `text` (CRLF appended, literals allowed) into a Command or CommandError. */
export function parseText(text: string): Command | CommandError {
  const events = new CommandReader().push(Buffer.from(`${text}\r\n`, 'utf8'));
  const cmd = events.find((e) => e.kind === 'command' || e.kind === 'error');
  if (!cmd) throw new Error(`no command in ${JSON.stringify(text)}`);
  if (cmd.kind === 'error') return { error: true, tag: cmd.tag, reason: cmd.reason };
  if (cmd.kind !== 'command') throw new Error('unreachable');
  return parseCommand(cmd.tag, cmd.tokens);
}

/** Like parseText but fails the test on a parse error; drops the tag and uid fields. */
export function parseOk(text: string): Record<string, unknown> {
  const c = parseText(text);
  if ('error' in c) throw new Error(`${text}: ${c.reason}`);
  return c as unknown as Record<string, unknown>;
}
