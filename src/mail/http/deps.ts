// What the HTTP service's routes are given: the mail context, the web tables, the
// mailbox view, the login throttle and a clock. Built once by service.ts.
import type { MailContext } from '../core/context.ts';
import type { LoginThrottle } from '../../lib/login-throttle.ts';
import type { WebDb } from './store/web-db.ts';
import type { WebMailbox } from './mail/mailbox.ts';

export interface HttpDeps {
  readonly ctx: MailContext;
  readonly web: WebDb;
  readonly mailbox: WebMailbox;
  readonly throttle: LoginThrottle;
  readonly now: () => number;
}
