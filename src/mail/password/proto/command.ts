// The poppassd dialogue's commands and replies (the Eudora "poppassd" protocol, as
// Roundcube's poppassd driver, Eudora and other change-password plug-ins speak it).
// Pure: a line in, a command out; replies are "CODE text". Clients look only at the
// first digit: 2xx goes on (Roundcube also accepts 3xx after user and pass), 5xx fails
// and the text after the code is shown to the user.

export type PoppassdCommand =
  | { readonly verb: 'user'; readonly arg: string }
  | { readonly verb: 'pass'; readonly arg: string }
  | { readonly verb: 'newpass'; readonly arg: string }
  | { readonly verb: 'quit' }
  | { readonly verb: 'unknown'; readonly text: string };

/**
 * Parses one line. The argument is everything after the first space, kept as sent:
 * passwords may contain and end with spaces, so nothing is trimmed but the line end.
 */
export function parseCommand(line: string): PoppassdCommand {
  const sp = line.indexOf(' ');
  const verb = (sp < 0 ? line : line.slice(0, sp)).toLowerCase();
  const arg = sp < 0 ? '' : line.slice(sp + 1);
  switch (verb) {
    case 'user':
    case 'pass':
    case 'newpass':
      return { verb, arg };
    case 'quit':
      return { verb: 'quit' };
    default:
      return { verb: 'unknown', text: verb.slice(0, 20) };
  }
}

export interface PoppassdReply { readonly code: 200 | 500; readonly text: string }

export function formatReply(r: PoppassdReply): string {
  return `${r.code} ${r.text.replace(/[\r\n]+/g, ' ')}\r\n`;
}

/** The texts of the classic poppassd, so clients that match on them keep working. */
export const REPLIES = {
  greeting: (host: string): PoppassdReply => ({ code: 200, text: `${host} poppassd (Tandem) hello, who are you?` }),
  passwordPlease: { code: 200, text: 'Your password please.' } as PoppassdReply,
  newPasswordPlease: { code: 200, text: 'Your new password please.' } as PoppassdReply,
  changed: { code: 200, text: 'Password changed, thank-you.' } as PoppassdReply,
  bye: { code: 200, text: 'Bye.' } as PoppassdReply,
  usernameExpected: { code: 500, text: 'Username expected.' } as PoppassdReply,
  passwordExpected: { code: 500, text: 'Password expected.' } as PoppassdReply,
  newPasswordExpected: { code: 500, text: 'New password expected.' } as PoppassdReply,
  oldPasswordIncorrect: { code: 500, text: 'Old password is incorrect.' } as PoppassdReply,
  lineTooLong: { code: 500, text: 'Line too long.' } as PoppassdReply,
  timeout: { code: 500, text: 'Timeout; closing.' } as PoppassdReply,
  unavailable: { code: 500, text: 'Cannot change the password now; try again later.' } as PoppassdReply,
} as const;
