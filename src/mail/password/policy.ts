// The password policy, shared by the poppassd service and the webmail (docs/password.md).
// PURE: no I/O, no hashing; it only looks at the text. Each problem is one sentence
// a user can act on; an empty list means the password is acceptable.

export interface PasswordPolicySettings {
  /** Shortest acceptable password, in characters (settings password.minLength). */
  readonly minLength: number;
}

export interface PasswordContext {
  /** The account the password is for, e.g. alice@demo.test. */
  readonly user: { readonly address: string };
  /** The current password when the caller knows it (poppassd, the webmail form). */
  readonly oldPassword?: string;
  /** The password section of the settings, or the whole settings (then its `password` part is used). */
  readonly settings: PasswordPolicySettings | { readonly password: PasswordPolicySettings };
}

/** Longest password accepted (the directory's own limit). */
export const MAX_PASSWORD_LENGTH = 1024;

/**
 * The commonest passwords of public breach compilations (the top of the lists that
 * NCSC and NordPass publish), compared case-insensitively. Short on purpose: the
 * length rule already stops most of the rest, and the list is documented in full.
 */
export const COMMON_PASSWORDS: ReadonlySet<string> = new Set([
  '123456', '123456789', '12345678', '12345', '1234567', '1234567890', '123123', '123321', '654321', '987654321',
  '111111', '000000', '666666', '121212', '112233', '1q2w3e4r', '1q2w3e4r5t', '1qaz2wsx', 'zaq12wsx', 'qazwsx',
  'password', 'password1', 'password12', 'password123', 'passw0rd', 'p@ssw0rd', 'p@ssword', 'qwerty', 'qwerty123', 'qwertyuiop',
  'asdfghjkl', 'asdfgh', 'abc123', 'abcd1234', 'iloveyou', 'letmein', 'welcome', 'welcome1', 'welcome123', 'admin',
  'admin123', 'administrator', 'changeme', 'secret', 'monkey', 'dragon', 'football', 'baseball', 'sunshine', 'princess',
  'superman', 'starwars', 'trustno1', 'master', 'shadow', 'freedom', 'whatever', 'hello123', 'login', 'hunter2',
]);

/** Every rule the new password breaks, as sentences; [] when it is acceptable. */
export function checkPassword(newPassword: string, ctx: PasswordContext): string[] {
  const problems: string[] = [];
  const chars = [...newPassword].length;
  const lower = newPassword.toLowerCase();
  const address = ctx.user.address.toLowerCase();
  const at = address.lastIndexOf('@');
  const local = at > 0 ? address.slice(0, at) : address;
  const min = 'password' in ctx.settings ? ctx.settings.password.minLength : ctx.settings.minLength;

  if (chars < min) problems.push(`must be at least ${min} characters long (it has ${chars})`);
  if (chars > MAX_PASSWORD_LENGTH) problems.push(`must be at most ${MAX_PASSWORD_LENGTH} characters long (it has ${chars})`);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(newPassword)) problems.push('must not contain control characters (such as tab, CR or LF)');
  if (newPassword !== newPassword.trim()) problems.push('must not begin or end with a space');
  if (lower === address || lower === local) problems.push('must not be your user name or mail address');
  else if (local.length >= 3 && lower.includes(local)) problems.push(`must not contain your user name "${local}"`);
  if (ctx.oldPassword !== undefined && newPassword === ctx.oldPassword) problems.push('must differ from the current password');
  if (COMMON_PASSWORDS.has(lower)) problems.push('is one of the most common passwords; choose another');
  else if (chars > 0 && new Set(lower).size === 1) problems.push('must not be one character repeated');
  return problems;
}
