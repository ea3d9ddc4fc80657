// The command table: verb -> handler (one module per command under commands/).
import type { CommandName } from '../proto/command-types.ts';
import type { AnyCommand } from './command.ts';
import { APPEND } from './commands/append.ts';
import { AUTHENTICATE } from './commands/authenticate.ts';
import { CAPABILITY } from './commands/capability.ts';
import { CLOSE, UNSELECT } from './commands/close.ts';
import { COMPRESS } from './commands/compress.ts';
import { COPY, MOVE } from './commands/copy.ts';
import { CREATE } from './commands/create.ts';
import { DELETE } from './commands/delete.ts';
import { ENABLE } from './commands/enable.ts';
import { EXPUNGE } from './commands/expunge.ts';
import { FETCH } from './commands/fetch.ts';
import { ID } from './commands/id.ts';
import { IDLE } from './commands/idle.ts';
import { LIST, LSUB } from './commands/list.ts';
import { LOGIN } from './commands/login.ts';
import { LOGOUT } from './commands/logout.ts';
import { NAMESPACE } from './commands/namespace.ts';
import { CHECK, NOOP } from './commands/noop.ts';
import { GETQUOTA, GETQUOTAROOT, SETQUOTA } from './commands/quota.ts';
import { RENAME } from './commands/rename.ts';
import { SEARCH } from './commands/search.ts';
import { SELECT, EXAMINE } from './commands/select.ts';
import { SORT } from './commands/sort.ts';
import { STARTTLS } from './commands/starttls.ts';
import { STATUS } from './commands/status.ts';
import { STORE } from './commands/store.ts';
import { SUBSCRIBE, UNSUBSCRIBE } from './commands/subscribe.ts';
import { THREAD } from './commands/thread.ts';

export const COMMANDS: ReadonlyMap<CommandName, AnyCommand> = new Map([
  APPEND, AUTHENTICATE, CAPABILITY, CHECK, CLOSE, COMPRESS, COPY, CREATE, DELETE, ENABLE, EXAMINE, EXPUNGE, FETCH,
  GETQUOTA, GETQUOTAROOT, ID, IDLE, LIST, LOGIN, LOGOUT, LSUB, MOVE, NAMESPACE, NOOP, RENAME, SEARCH,
  SELECT, SETQUOTA, SORT, STARTTLS, STATUS, STORE, SUBSCRIBE, THREAD, UNSELECT, UNSUBSCRIBE,
].map((c) => [c.name, c]));
