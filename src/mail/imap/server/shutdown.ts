// The BYE of a stopping (draining) imap service, RFC 9051 7.1.5 with the RFC 5530 code
// UNAVAILABLE: the client reconnects in a moment, through the VIP, to the node that then
// serves the mailbox. Sent to idle sessions at once, to busy ones after their command,
// and instead of the greeting to connections that arrive during the drain.
import { formatUntaggedStatus } from '../proto/response.ts';

export function shutdownBye(hostname: string): Buffer {
  return formatUntaggedStatus('BYE', `${hostname} service moving to another server; reconnect in a moment`, { code: 'UNAVAILABLE' });
}
