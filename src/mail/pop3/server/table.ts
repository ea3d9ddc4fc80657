// The POP3 command table: every command the server knows, by keyword. The dispatcher
// (session.ts) looks commands up here; adding a command means adding a descriptor.
import type { AnyCommand } from './command.ts';
import { AUTH } from './commands/auth.ts';
import { CAPA, NOOP } from './commands/capa.ts';
import { DELE, RSET } from './commands/dele-rset.ts';
import { QUIT } from './commands/quit.ts';
import { RETR, TOP } from './commands/retr-top.ts';
import { LIST, STAT, UIDL } from './commands/stat-list.ts';
import { STLS } from './commands/stls.ts';
import { PASS, USER } from './commands/user-pass.ts';

export const COMMANDS: ReadonlyMap<string, AnyCommand> = new Map(
  [USER, PASS, AUTH, STLS, CAPA, NOOP, STAT, LIST, UIDL, RETR, TOP, DELE, RSET, QUIT].map((c) => [c.name, c]),
);
