// STARTTLS (POP3 STLS, IMAP STARTTLS): wait for the server side of a handshake on an
// upgraded socket, bounded so a client that never completes it cannot hold the session.
import type { TLSSocket } from 'node:tls';

/** True once `secure` finished its handshake; false on error, close or after `timeoutMs`. */
export function waitForHandshake(secure: TLSSocket, timeoutMs: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    secure.once('secure', () => { clearTimeout(timer); resolve(true); });
    secure.once('error', () => { clearTimeout(timer); resolve(false); });
    secure.once('close', () => { clearTimeout(timer); resolve(false); });
  });
}
