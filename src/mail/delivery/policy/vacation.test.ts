// When a vacation reply is sent (RFC 3834, RFC 5230 4.5-4.6), as a table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { vacationVerdict, VACATION_INTERVAL_MS, type VacationInput } from './vacation.ts';

const NOW = 1_800_000_000_000;

function input(headers: Record<string, string[]>, over: Partial<VacationInput> = {}): VacationInput {
  return {
    sender: 'carol@example.net', userAddresses: ['bob@d.test'], lastReplyAt: null, now: NOW, intervalMs: VACATION_INTERVAL_MS,
    header: (n) => headers[n] ?? [],
    ...over,
  };
}

const TO_BOB = { to: ['Bob <bob@d.test>'] };

const CASES: Array<{ name: string; in: VacationInput; reply: boolean; why?: RegExp }> = [
  { name: 'direct mail gets a reply', in: input(TO_BOB), reply: true },
  { name: 'Cc counts as addressed', in: input({ to: ['x@y.z'], cc: ['BOB@D.TEST'] }), reply: true },
  { name: 'mail to an alias of the user counts', in: input({ to: ['info@d.test'] }, { userAddresses: ['bob@d.test', 'info@d.test'] }), reply: true },
  { name: 'Bcc (not in To/Cc) gets none', in: input({ to: ['someone@else.test'] }), reply: false, why: /not in To or Cc/ },
  { name: 'the null sender gets none', in: input(TO_BOB, { sender: '' }), reply: false, why: /null sender/ },
  { name: 'MAILER-DAEMON gets none', in: input(TO_BOB, { sender: 'MAILER-DAEMON@example.net' }), reply: false, why: /robot/ },
  { name: 'owner-* gets none', in: input(TO_BOB, { sender: 'owner-staff@example.net' }), reply: false, why: /robot/ },
  { name: '*-request gets none', in: input(TO_BOB, { sender: 'staff-request@example.net' }), reply: false, why: /robot/ },
  { name: 'list bounce addresses get none', in: input(TO_BOB, { sender: 'team-bounces@d.test' }), reply: false, why: /robot/ },
  { name: 'Auto-Submitted: auto-replied gets none', in: input({ ...TO_BOB, 'auto-submitted': ['auto-replied'] }), reply: false, why: /Auto-Submitted/ },
  { name: 'Auto-Submitted: no is a person', in: input({ ...TO_BOB, 'auto-submitted': ['no'] }), reply: true },
  { name: 'Precedence: bulk gets none', in: input({ ...TO_BOB, precedence: ['bulk'] }), reply: false, why: /Precedence/ },
  { name: 'List-Id gets none', in: input({ ...TO_BOB, 'list-id': ['<team.d.test>'] }), reply: false, why: /list/ },
  { name: 'X-Auto-Response-Suppress: OOF gets none', in: input({ ...TO_BOB, 'x-auto-response-suppress': ['OOF, AutoReply'] }), reply: false, why: /Suppress/ },
  { name: 'the user writing to itself gets none', in: input(TO_BOB, { sender: 'bob@d.test' }), reply: false, why: /itself/ },
  { name: 'a sender answered 2 days ago gets none', in: input(TO_BOB, { lastReplyAt: NOW - 2 * 86_400_000 }), reply: false, why: /recently/ },
  { name: 'a sender answered 8 days ago gets one again', in: input(TO_BOB, { lastReplyAt: NOW - 8 * 86_400_000 }), reply: true },
];

for (const c of CASES) {
  test(`vacation: ${c.name}`, () => {
    const v = vacationVerdict(c.in);
    assert.equal(v.reply, c.reply, JSON.stringify(v));
    if (!v.reply && c.why) assert.match(v.why, c.why);
  });
}
