// The web service's use of the shared password policy (src/mail/password/policy.ts):
// one sentence naming every rule a new password breaks, or null when it is acceptable.
import { checkPassword, type PasswordContext } from '../../password/policy.ts';

export function passwordProblem(password: string, address: string, settings: PasswordContext['settings'], oldPassword?: string): string | null {
  const problems = checkPassword(password, { user: { address }, settings, ...(oldPassword !== undefined ? { oldPassword } : {}) });
  return problems.length === 0 ? null : `the password ${problems.join('; it ')}`;
}
