// Console sessions: idle and absolute expiry on an injected clock, the live stream not
// counting as activity, logout, the bound on their number, cookie values never stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsoleSessions } from './sessions.ts';

function store(max?: number) {
  const clock = { t: 1_000_000 };
  const sessions = new ConsoleSessions({ idleMs: 60_000, maxMs: 600_000, now: () => clock.t, ...(max ? { max } : {}) });
  return { clock, sessions };
}

test('a session lives while used, ends after the idle time, and the live stream does not keep it alive', () => {
  const { clock, sessions } = store();
  const { cookie, session } = sessions.create('admin');
  assert.equal(sessions.get(cookie)?.user, 'admin');
  clock.t += 59_000;
  assert.equal(sessions.get(cookie), session, 'used within the idle time');
  clock.t += 59_000;
  assert.ok(sessions.get(cookie, false), 'the stream may look');
  clock.t += 2_000;
  assert.equal(sessions.get(cookie, false), null, 'looking did not count as activity');
  assert.equal(sessions.get(cookie), null);
});

test('a session ends at its maximum age however busy', () => {
  const { clock, sessions } = store();
  const { cookie } = sessions.create('admin');
  for (let i = 0; i < 10; i++) { clock.t += 50_000; assert.ok(sessions.get(cookie)); }
  clock.t += 100_001;
  assert.equal(sessions.get(cookie), null);
});

test('logout ends it; unknown and missing cookies have no session; tokens are random', () => {
  const { sessions } = store();
  const a = sessions.create('admin');
  const b = sessions.create('admin');
  assert.notEqual(a.cookie, b.cookie);
  assert.notEqual(a.session.csrf, b.session.csrf);
  assert.ok(a.cookie.length >= 43 && a.session.csrf.length >= 43, '256-bit values');
  sessions.end(a.cookie);
  assert.equal(sessions.get(a.cookie), null);
  assert.ok(sessions.get(b.cookie));
  assert.equal(sessions.get(undefined), null);
  assert.equal(sessions.get('nonsense'), null);
});

test('the number of sessions is bounded: the oldest goes first', () => {
  const { sessions } = store(3);
  const made = [1, 2, 3, 4].map(() => sessions.create('admin').cookie);
  assert.equal(sessions.size, 3);
  assert.equal(sessions.get(made[0]), null);
  assert.ok(sessions.get(made[3]));
});
