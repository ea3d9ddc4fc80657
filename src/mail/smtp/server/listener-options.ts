// smtp-server options for each listener kind, from the settings. MX (smtp): STARTTLS
// offered, AUTH optional. Submission: STARTTLS, AUTH required. Submissions: implicit
// TLS, AUTH required. Everything else is the same on all three.
import type { SMTPServerOptions } from 'smtp-server';
import type { MailContext } from '../../core/context.ts';
import type { ListenerKind } from '../policy/relay.ts';

/** After the drain, how long close() waits for clients that keep their side of a closed session open. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 2_000;

export function listenerOptions(kind: ListenerKind, ctx: MailContext, closeTimeoutMs = DEFAULT_CLOSE_TIMEOUT_MS): SMTPServerOptions {
  const s = ctx.settings;
  return {
    name: s.hostname,
    banner: 'Tandem',
    key: ctx.tls.key,
    cert: ctx.tls.cert,
    secure: kind === 'submissions',
    // CRAM-MD5 and XOAUTH2 would need the clear password or a token service: PLAIN and LOGIN only.
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: kind === 'smtp',
    // TLS-before-AUTH is enforced per client by TandemConnection (loopback exception).
    allowInsecureAuth: true,
    size: s.limits.messageSizeBytes,
    rejectOversized: true,
    maxRecipients: s.limits.recipientsPerMessage,
    maxCommandLength: s.limits.lineLengthBytes,
    maxClients: s.limits.maxConnections,
    socketTimeout: s.limits.idleTimeoutSeconds * 1000,
    closeTimeout: closeTimeoutMs,
    // On submission a client that will not log in is dropped after 10 commands.
    maxAllowedUnauthenticatedCommands: kind === 'smtp' ? false : 10,
    hideENHANCEDSTATUSCODES: false,
    hideDSN: false,
    // REQUIRETLS (RFC 8689) needs the queue to honour it on every hop; not offered.
    hideREQUIRETLS: true,
    // The Received header names the client by HELO and IP; no PTR lookup stalls the greeting.
    disableReverseLookup: true,
    disabledCommands: ['WIZ', 'SHELL', 'KILL', 'XCLIENT', 'XFORWARD'],
    logger: false,
  };
}
