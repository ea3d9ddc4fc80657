// SMTP replies as values (STYLE "Errors"): a reply code, an RFC 3463 enhanced status
// code and one human sentence. Every rejection Tandem's policy can give is named here,
// so docs/smtp.md, the tests and the code agree on the exact codes. Pure.

export interface Reply {
  readonly code: number;
  /** RFC 3463 enhanced status code, e.g. "5.1.1". */
  readonly enhanced: string;
  readonly text: string;
}

export function reply(code: number, enhanced: string, text: string): Reply {
  return { code, enhanced, text };
}

/** "550 5.1.1 text", the line a client sees. */
export function formatReply(r: Reply): string {
  return `${r.code} ${r.enhanced} ${r.text}`;
}

export function isTemporary(r: Reply): boolean {
  return r.code >= 400 && r.code < 500;
}

export function isPermanent(r: Reply): boolean {
  return r.code >= 500;
}

/** The catalog. Functions take the value the sentence names (STYLE: state the constraint). */
export const REPLIES = {
  badRecipientSyntax: (addr: string) => reply(501, '5.1.3', `<${addr}>: not a valid mail address`),
  badSenderSyntax: (addr: string) => reply(501, '5.1.7', `<${addr}>: not a valid sender address`),
  unknownUser: (addr: string) => reply(550, '5.1.1', `<${addr}>: no such user here`),
  disabledUser: (addr: string) => reply(550, '5.2.1', `<${addr}>: mailbox disabled, not accepting messages`),
  relayDenied: (addr: string) => reply(554, '5.7.1', `<${addr}>: relay access denied (authenticate, or send from a relay network)`),
  senderNotOwned: (sender: string, user: string) =>
    reply(553, '5.7.1', `<${sender}>: sender address not owned by ${user}`),
  authRequired: () => reply(530, '5.7.0', 'authentication required on this port'),
  encryptionRequired: () => reply(538, '5.7.11', 'encryption required: issue STARTTLS before AUTH'),
  authFailed: () => reply(535, '5.7.8', 'authentication credentials invalid'),
  authThrottled: (what: string, max: number, windowSeconds: number) =>
    reply(454, '4.7.0', `too many failed logins for this ${what} (${max} in ${windowSeconds}s); try again later`),
  listNotPermitted: (list: string, sender: string, policy: string) =>
    reply(550, '5.7.1', `<${sender || 'null sender'}> may not post to <${list}>: posting is limited to ${policy}`),
  quotaTemp: (addr: string) => reply(452, '4.2.2', `<${addr}>: mailbox full, try again later`),
  quotaPerm: (addr: string) => reply(552, '5.2.2', `<${addr}>: mailbox full`),
  tooManyHops: (count: number, max: number) =>
    reply(554, '5.4.6', `mail loop: message has ${count} Received headers, the limit is ${max}`),
  alreadyDelivered: (addr: string) => reply(554, '5.4.6', `mail loop: message was already delivered to <${addr}>`),
  aliasLoop: (path: string[]) => reply(554, '5.4.6', `alias loop: ${path.join(' -> ')}`),
  aliasTooDeep: (addr: string, max: number) => reply(554, '5.4.6', `<${addr}>: alias expansion deeper than ${max} levels`),
  noTargets: (addr: string) => reply(550, '5.1.1', `<${addr}>: expands to no deliverable address`),
  messageTooBig: (max: number) => reply(552, '5.3.4', `message exceeds the maximum size of ${max} bytes`),
  serverBusy: () => reply(452, '4.3.1', 'insufficient system resources to receive the message now; try again later'),
  tooManyConnectionsFromIp: (max: number) => reply(421, '4.7.0', `too many connections from your address (limit ${max}); try again later`),
  tooManyConnections: (max: number) => reply(421, '4.3.2', `too many connections (limit ${max}); try again later`),
  serverShuttingDown: () => reply(421, '4.3.2', 'server shutting down; try again later'),
  /** RFC 5321 3.8 / 4.2.2: the drain of a planned move; the client retries (on the VIP, the new node). */
  serviceMoving: (host: string) => reply(421, '4.3.2', `${host} Service moving to another server, try again shortly`),
  dataTimeout: (seconds: number) => reply(421, '4.4.2', `message not received within ${seconds}s; closing connection`),
  storageFailure: (id: string) => reply(451, '4.3.0', `local error in processing, message not accepted (ref ${id}); try again later`),
  accepted: (id: string) => reply(250, '2.0.0', `OK: message accepted, id ${id}`),
  acceptedPartly: (id: string, failed: number) =>
    reply(250, '2.0.0', `OK: message accepted, id ${id}; ${failed} recipient(s) failed: retried later or bounced`),
} as const;
