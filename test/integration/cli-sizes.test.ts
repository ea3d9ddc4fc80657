// Size arguments of the account commands (--quota): a table of what operators type.
// Pure, no process is spawned; it lives with the CLI tests it supports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSize, formatSize, formatQuota } from '../../src/cli/mail-accounts.ts';

const MiB = 1024 * 1024;

test('parseSize() reads byte counts and K/M/G/T units as powers of 1024, 0 and unlimited as no quota', () => {
  const cases: Array<[string, number]> = [
    ['1048576', 1048576], ['0', 0], ['unlimited', 0], ['UNLIMITED', 0], ['none', 0],
    ['500M', 500 * MiB], ['500m', 500 * MiB], ['500MB', 500 * MiB], ['500MiB', 500 * MiB], ['500 M', 500 * MiB],
    ['2G', 2 * 1024 * MiB], ['1.5G', 1536 * MiB], ['10K', 10240], ['1T', 1024 ** 4], ['100B', 100], [' 7 ', 7],
  ];
  for (const [text, bytes] of cases) assert.equal(parseSize(text), bytes, text);
});

test('parseSize() rejects anything else with a message naming the input', () => {
  for (const text of ['', '-1', '12X', 'M', '1,5G', '0x10', '1e3', '1.5', 'lots', '99999999999T']) {
    assert.throws(() => parseSize(text), (err: Error) => err.name === 'CliError' && err.message.includes(`"${text}"`), text);
  }
});

test('formatSize() and formatQuota() print sizes people read at a glance', () => {
  const cases: Array<[number, string]> = [
    [0, '0 B'], [1023, '1023 B'], [1024, '1 KiB'], [1536, '1.5 KiB'], [500 * MiB, '500 MiB'],
    [300 * 1024 + 28, '300 KiB'], [2 * 1024 * MiB, '2 GiB'], [1024 ** 5, '1024 TiB'],
  ];
  for (const [bytes, text] of cases) assert.equal(formatSize(bytes), text, String(bytes));
  assert.equal(formatQuota(0), 'unlimited');
  assert.equal(formatQuota(500 * MiB), '500 MiB');
});
