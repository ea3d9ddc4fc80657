import { test } from 'node:test';
import assert from 'node:assert/strict';
import { outcomeFromError } from './smtp-send.ts';
import type { AttemptOutcome } from './schedule.ts';

test('outcomeFromError() maps nodemailer failures to replies, network errors and timeouts', () => {
  const err = (message: string, extra: Record<string, unknown>) => Object.assign(new Error(message), extra);
  const cases: Array<[string, Error, AttemptOutcome]> = [
    ['RCPT 550', err('Recipient command failed: 550 5.1.1 no such user', { code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 no such user' }), { kind: 'reply', code: 550, text: '5.1.1 no such user' }],
    ['DATA 451', err('Message failed: 451 4.3.0 later', { code: 'EMESSAGE', responseCode: 451, response: '451 4.3.0 later' }), { kind: 'reply', code: 451, text: '4.3.0 later' }],
    ['refused', err('connect ECONNREFUSED 127.0.0.9:25', { code: 'ESOCKET' }), { kind: 'network', error: 'connect ECONNREFUSED 127.0.0.9:25' }],
    ['greeting timeout', err('Greeting never received', { code: 'ETIMEDOUT' }), { kind: 'timeout', error: 'Greeting never received' }],
    ['AUTH refused is temporary', err('Invalid login: 535 bad', { code: 'EAUTH', responseCode: 535, response: '535 5.7.8 bad' }), { kind: 'network', error: 'authentication failed: 535 5.7.8 bad' }],
    ['over the peer SIZE', err('Message size larger than allowed 1000', { code: 'EMESSAGE' }), { kind: 'reply', code: 552, text: '5.3.4 Message size larger than allowed 1000' }],
  ];
  for (const [name, e, expected] of cases) assert.deepEqual(outcomeFromError(e), expected, name);
});
