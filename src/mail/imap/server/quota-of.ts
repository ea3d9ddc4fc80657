// The user's quota as it is now (the directory is read per check, not cached at login),
// so `tandem mail user set --quota` applies to open sessions at once.
import type { ServerDeps } from './command.ts';
import type { LoggedIn } from './state.ts';

export function quotaOf(deps: ServerDeps, state: LoggedIn): number {
  return deps.auth.getUser(state.user.address)?.quotaBytes ?? state.user.quotaBytes;
}
