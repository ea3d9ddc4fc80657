// SASL PLAIN (RFC 4616) as used by POP3 AUTH (RFC 5034). Pure: decodes the base64
// response "authzid NUL authcid NUL passwd" and says why a response is rejected.

export interface PlainCredentials {
  readonly authzid: string;
  readonly username: string;
  readonly password: string;
}

/** RFC 5034 section 4: a response of "*" cancels the exchange. */
export const SASL_CANCEL = '*';

/** Decodes a PLAIN response; returns an error text for malformed input. */
export function decodePlain(response: string): PlainCredentials | { error: string } {
  // "=" alone is an empty initial response (RFC 5034 section 4).
  const text = response === '=' ? '' : response;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return { error: 'invalid base64 in SASL response' };
  const raw = Buffer.from(text, 'base64').toString('utf8');
  const parts = raw.split('\0');
  if (parts.length !== 3) return { error: 'malformed PLAIN response: expected authzid NUL authcid NUL password' };
  const [authzid, username, password] = parts as [string, string, string];
  if (username === '' || password === '') return { error: 'malformed PLAIN response: empty user name or password' };
  return { authzid, username, password };
}

/** Encodes PLAIN credentials (for tests and clients). */
export function encodePlain(username: string, password: string, authzid = ''): string {
  return Buffer.from(`${authzid}\0${username}\0${password}`, 'utf8').toString('base64');
}
