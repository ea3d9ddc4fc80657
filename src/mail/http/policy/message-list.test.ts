// Sorting and paging of the message list: stable ties, pages clamped, parsing defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pageOf, parseDir, parsePage, parseSort } from './message-list.ts';

const rows = [
  { uid: 1, time: 300, size: 10, subject: 'beta' },
  { uid: 2, time: 100, size: 30, subject: 'Alpha' },
  { uid: 3, time: 300, size: 20, subject: 'gamma' },
  { uid: 4, time: 200, size: 30, subject: 'alpha' },
];

test('pageOf() sorts by date, size and text with UID order breaking ties', () => {
  const uids = (r: { rows: Array<{ uid: number }> }) => r.rows.map((x) => x.uid);
  assert.deepEqual(uids(pageOf(rows, { sort: 'date', dir: 'desc', page: 1, pageSize: 10 })), [3, 1, 4, 2]);
  assert.deepEqual(uids(pageOf(rows, { sort: 'date', dir: 'asc', page: 1, pageSize: 10 })), [2, 4, 1, 3]);
  assert.deepEqual(uids(pageOf(rows, { sort: 'size', dir: 'desc', page: 1, pageSize: 10 })), [4, 2, 3, 1]);
  assert.deepEqual(uids(pageOf(rows, { sort: 'subject', dir: 'asc', page: 1, pageSize: 10 }, (r) => r.subject)), [2, 4, 1, 3]);
});

test('pageOf() cuts pages and clamps a page past the end to the last one', () => {
  const p = pageOf(rows, { sort: 'date', dir: 'asc', page: 2, pageSize: 3 });
  assert.deepEqual([p.rows.map((r) => r.uid), p.page, p.pages, p.total], [[3], 2, 2, 4]);
  assert.equal(pageOf(rows, { sort: 'date', dir: 'asc', page: 99, pageSize: 3 }).page, 2);
  assert.deepEqual(pageOf([], { sort: 'date', dir: 'asc', page: 1, pageSize: 3 }), { rows: [], page: 1, pages: 1, total: 0 });
});

test('query parsing falls back to sensible defaults', () => {
  assert.equal(parseSort('size'), 'size');
  assert.equal(parseSort('evil'), 'date');
  assert.equal(parseDir(undefined, 'date'), 'desc');
  assert.equal(parseDir(undefined, 'from'), 'asc');
  assert.equal(parsePage('3'), 3);
  assert.equal(parsePage('-1'), 1);
  assert.equal(parsePage('1e9'), 1);
});
