// Test-only: a fast-check arbitrary of MIME trees and their rendering as message text
// (multiparts with preambles, message/rfc822 parts, leaves of a few types).
import fc from 'fast-check';

export type Tree = { kind: 'leaf'; text: string; type: string } | { kind: 'multi'; boundary: string; parts: Tree[]; preamble: string } | { kind: 'message'; inner: Tree };

const line = fc.stringMatching(/^[ -~]{0,30}$/).filter((s) => !s.startsWith('--'));
export const tree: fc.Arbitrary<Tree> = fc.letrec<{ t: Tree }>((tie) => ({
  t: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('leaf' as const), text: fc.array(line, { maxLength: 4 }).map((l) => l.join('\n')), type: fc.constantFrom('text/plain', 'application/octet-stream', 'text/html') }),
    fc.record({ kind: fc.constant('multi' as const), boundary: fc.stringMatching(/^[a-z0-9]{1,8}$/), parts: fc.array(tie('t'), { minLength: 0, maxLength: 3 }), preamble: line }),
    fc.record({ kind: fc.constant('message' as const), inner: tie('t') }),
  ),
})).t;

let counter = 0;
export function render(t: Tree, eol: string): string {
  if (t.kind === 'leaf') return `Content-Type: ${t.type}${eol}X-N: ${counter++}${eol}${eol}${t.text.replace(/\n/g, eol)}`;
  if (t.kind === 'message') return `Content-Type: message/rfc822${eol}${eol}Subject: inner${eol}${render(t.inner, eol)}`;
  const b = `${t.boundary}${counter++}`;
  const parts = t.parts.map((p) => `--${b}${eol}${render(p, eol)}${eol}`).join('');
  return `Content-Type: multipart/mixed; boundary="${b}"${eol}${eol}${t.preamble}${eol}${parts}--${b}--${eol}`;
}

