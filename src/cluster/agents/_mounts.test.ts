import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMountInfo, mountAt } from './_mounts.ts';

test('parseMountInfo reads mount points with escaped spaces, optional fields and the source', () => {
  const text = [
    '22 27 0:21 / /proc rw,relatime - proc proc rw',
    '98 27 7:0 / /srv/mail\\040data rw,noatime shared:45 master:2 - ext4 /dev/loop0 rw,errors=remount-ro',
    '99 98 7:0 / /srv/ro ro,relatime - ext4 /dev/loop0 ro',
    'garbage line',
    '',
  ].join('\n');
  assert.deepEqual(parseMountInfo(text), [
    { dev: '0:21', mountPoint: '/proc', options: ['rw', 'relatime'], fsType: 'proc', source: 'proc' },
    { dev: '7:0', mountPoint: '/srv/mail data', options: ['rw', 'noatime'], fsType: 'ext4', source: '/dev/loop0' },
    { dev: '7:0', mountPoint: '/srv/ro', options: ['ro', 'relatime'], fsType: 'ext4', source: '/dev/loop0' },
  ]);
});

test('mountAt finds the root filesystem and nothing on a plain directory', async () => {
  assert.equal((await mountAt('/'))?.mountPoint, '/');
  assert.equal(await mountAt('/nonexistent/tandem-dir'), null);
});
