import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyFlags, isKeyword, lettersToFlags, normalizeLetters, systemFlag } from './flags.ts';

const letterOf = (f: string): string => ({ '\\seen': 'S', '\\deleted': 'T', '\\flagged': 'F', '$forwarded': 'a', 'work': 'b' } as Record<string, string>)[f.toLowerCase()]!;

test('lettersToFlags() maps system letters and keyword letters, hiding P and unknown letters', () => {
  assert.deepEqual(lettersToFlags('DFPRSTab', ['$Forwarded']), ['\\Draft', '\\Flagged', '\\Answered', '\\Seen', '\\Deleted', '$Forwarded']);
});

test('applyFlags() adds, removes and replaces; a replace keeps letters IMAP cannot express', () => {
  const table: Array<[string, 'add' | 'remove' | 'replace', string[], string]> = [
    ['', 'add', ['\\Seen'], 'S'],
    ['S', 'add', ['\\Seen', '\\Flagged'], 'FS'],
    ['FS', 'remove', ['\\seen'], 'F'],
    ['PST', 'replace', ['$Forwarded'], 'Pa'],
    ['Sa', 'replace', [], ''],
    ['S', 'remove', ['work'], 'S'],
  ];
  for (const [cur, mode, flags, want] of table) assert.equal(applyFlags(cur, mode, flags, letterOf), want, `${cur} ${mode} ${flags.join(' ')}`);
});

test('systemFlag() is case-insensitive; keywords are atoms without backslash', () => {
  assert.equal(systemFlag('\\SEEN'), '\\Seen');
  assert.equal(systemFlag('$Junk'), null);
  assert.equal(isKeyword('$Junk'), true);
  assert.equal(isKeyword('\\Recent'), false);
  assert.equal(isKeyword('a b'), false);
  assert.equal(normalizeLetters('TSST'), 'ST');
});
