// Resource ordering: dependencies first, declaration order breaks ties, stop is the reverse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dependentsOf, findDependencyCycle, startOrder, stopOrder } from './order.ts';

const r = (name: string, dependsOn: string[] = []): { name: string; dependsOn: string[] } => ({ name, dependsOn });
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- only names and dependsOn matter here
const group = (...resources: { name: string; dependsOn: string[] }[]): any => ({ resources });

test('startOrder() puts each resource after its dependencies, keeping declaration order otherwise', () => {
  const g = group(r('smtp', ['volume', 'vip']), r('vip'), r('pop3', ['volume']), r('volume'));
  assert.deepEqual(startOrder(g), ['vip', 'volume', 'smtp', 'pop3']);
  assert.deepEqual(stopOrder(g), ['pop3', 'smtp', 'volume', 'vip']);
});

test('startOrder() handles chains and an empty group', () => {
  assert.deepEqual(startOrder(group(r('c', ['b']), r('b', ['a']), r('a'))), ['a', 'b', 'c']);
  assert.deepEqual(startOrder(group()), []);
});

test('startOrder() stays total on a cycle: the cyclic resources come last, none dropped', () => {
  assert.deepEqual(startOrder(group(r('a', ['b']), r('b', ['a']), r('c'))), ['c', 'a', 'b']);
});

test('findDependencyCycle() returns the cycle path, or null', () => {
  assert.deepEqual(findDependencyCycle(group(r('a', ['b']), r('b', ['c']), r('c', ['a']))), ['a', 'b', 'c', 'a']);
  assert.equal(findDependencyCycle(group(r('a', ['b']), r('b'), r('c', ['zz']))), null);
});

test('dependentsOf() finds direct and transitive dependents', () => {
  const g = group(r('volume'), r('vip'), r('smtp', ['volume', 'vip']), r('webmail', ['smtp']));
  assert.deepEqual([...dependentsOf(g, 'volume')].sort(), ['smtp', 'webmail']);
  assert.deepEqual([...dependentsOf(g, 'webmail')], []);
});
