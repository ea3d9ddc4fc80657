// Flags given by a client (STORE, APPEND): system flags in their canonical case, keywords
// checked as atoms; \Recent cannot be set (RFC 3501 2.3.2) and is dropped.
import { isKeyword, systemFlag } from '../store/flags.ts';

export function clientFlags(flags: readonly string[]): { flags: string[] } | { error: string } {
  const out: string[] = [];
  for (const f of flags) {
    if (f.toLowerCase() === '\\recent') continue;
    if (f.startsWith('\\')) {
      const sys = systemFlag(f);
      if (!sys) return { error: `unknown system flag ${f.slice(0, 40)}` };
      out.push(sys);
    } else if (isKeyword(f)) out.push(f);
    else return { error: `invalid keyword ${f.slice(0, 40)}` };
  }
  return { flags: [...new Set(out)] };
}
