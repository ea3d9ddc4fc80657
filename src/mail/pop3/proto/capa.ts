// The CAPA list (RFC 2449 section 6, RFC 2595 section 4, RFC 5034 section 6). Pure:
// what is advertised depends on whether TLS is on and whether plaintext login is allowed
// on this connection, so a client never sees a capability it cannot use.

export interface CapaInput {
  /** STLS is offered in AUTHORIZATION state on a connection not yet using TLS. */
  readonly canStartTls: boolean;
  /** USER/PASS and SASL PLAIN are usable on this connection now. */
  readonly plaintextAuthAllowed: boolean;
  readonly inTransaction: boolean;
  readonly implementation: string;
}

export function capabilities(input: CapaInput): string[] {
  const caps = ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING'];
  // RFC 2449 section 6.1 & 6.3: USER and SASL are meaningful before login only,
  // and withheld where the login would be refused anyway (RFC 2595 section 4).
  if (!input.inTransaction && input.plaintextAuthAllowed) caps.push('USER', 'SASL PLAIN');
  if (input.canStartTls) caps.push('STLS');
  // RFC 2449 section 6.7: Tandem never deletes mail on its own.
  caps.push('EXPIRE NEVER', `IMPLEMENTATION ${input.implementation}`);
  return caps;
}
