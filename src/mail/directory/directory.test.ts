import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Directory } from './directory.ts';
import { isTandemError } from '../../lib/errors.ts';

function withDirectory(fn: (d: Directory) => Promise<void> | void) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-dir-'));
    const d = Directory.open(join(dir, 'accounts.sqlite'));
    try {
      await fn(d);
    } finally {
      d.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('users authenticate with their password only, and disabled users never', withDirectory(async (d) => {
  d.addDomain('Demo.Test');
  await d.addUser({ address: 'Alice@demo.test', password: 'wonderland', displayName: 'Alice' });
  assert.equal((await d.authenticate('alice@DEMO.test', 'wonderland'))?.address, 'alice@demo.test');
  assert.equal(await d.authenticate('alice@demo.test', 'wrong'), null);
  assert.equal(await d.authenticate('nobody@demo.test', 'wonderland'), null);
  d.updateUser('alice@demo.test', { enabled: false });
  assert.equal(await d.authenticate('alice@demo.test', 'wonderland'), null);
}));

test('an address is a user, an alias or a list, never two of them', withDirectory(async (d) => {
  d.addDomain('demo.test');
  await d.addUser({ address: 'alice@demo.test', password: 'x' });
  assert.throws(() => d.addAlias('alice@demo.test', ['bob@demo.test']), (e) => isTandemError(e, 'exists'));
  await assert.rejects(d.addUser({ address: 'alice@demo.test', password: 'y' }), /already exists as a user/);
  await assert.rejects(d.addUser({ address: 'x@elsewhere.test', password: 'y' }), /not a local domain/);
}));

test('resolve() knows users, sub-addresses, aliases, lists, catch-alls and remote domains', withDirectory(async (d) => {
  d.addDomain('demo.test');
  await d.addUser({ address: 'alice@demo.test', password: 'x' });
  d.addAlias('postmaster@demo.test', ['alice@demo.test', 'ops@example.org']);
  d.addList({ address: 'team@demo.test', posting: 'anyone' });
  d.addListMember('team@demo.test', 'alice@demo.test');
  assert.equal(d.resolve('alice+news@demo.test')?.kind, 'user');
  assert.deepEqual(d.resolve('postmaster@demo.test'), { kind: 'alias', address: 'postmaster@demo.test', alias: { address: 'postmaster@demo.test', targets: ['alice@demo.test', 'ops@example.org'] } });
  assert.equal(d.resolve('team@demo.test')?.kind, 'list');
  assert.equal(d.resolve('nobody@demo.test')?.kind, 'unknown-local');
  assert.equal(d.resolve('someone@example.org')?.kind, 'remote');
  d.setCatchall('demo.test', 'alice@demo.test');
  assert.deepEqual(d.resolve('nobody@demo.test'), { kind: 'catchall', address: 'nobody@demo.test', target: 'alice@demo.test' });
  assert.deepEqual(d.sendersFor(d.getUser('alice@demo.test')!), ['alice@demo.test', 'postmaster@demo.test']);
}));

test('a domain cannot be deleted while it has accounts', withDirectory(async (d) => {
  d.addDomain('demo.test');
  await d.addUser({ address: 'alice@demo.test', password: 'x' });
  assert.throws(() => d.deleteDomain('demo.test'), /still has 1 users/);
  d.deleteUser('alice@demo.test');
  d.deleteDomain('demo.test');
  assert.equal(d.listDomains().length, 0);
}));

test('reopening keeps accounts and does not re-run migrations', withDirectory(async (d) => {
  d.addDomain('demo.test');
  const file = (d as unknown as { db: { name: string } }).db.name;
  const again = Directory.open(file);
  try {
    assert.deepEqual(again.listDomains().map((x) => x.name), ['demo.test']);
  } finally {
    again.close();
  }
}));
