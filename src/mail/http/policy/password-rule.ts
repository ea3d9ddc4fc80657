// The password rule the webmail applies until the password service's policy
// (src/mail/password/policy.ts, checkPassword) lands; then this file is replaced by it.
// Pure: returns the reason a password is refused, or null.

export const MIN_PASSWORD_LENGTH = 8;

export function passwordProblem(password: string, address: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `the password must have at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > 1024) return 'the password must have at most 1024 characters';
  // eslint-disable-next-line no-control-regex
  if (/[\x00\r\n]/.test(password)) return 'the password must not contain NUL, CR or LF';
  if (password.toLowerCase() === address.toLowerCase() || password.toLowerCase() === address.split('@')[0]!.toLowerCase()) {
    return 'the password must not be your address';
  }
  return null;
}
