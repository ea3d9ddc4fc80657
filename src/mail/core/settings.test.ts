// cfg/mail.yaml validation: the defaults docs/configure.md promises, and every bad
// field named by its path so an operator can find it in the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { validateSettings, SettingsError, type Settings } from './settings.ts';

const MINIMAL = { version: 1, hostname: 'mail.example.com', primaryDomain: 'example.com' };

/** The problems validateSettings reports for `raw`, or [] when it is valid. */
function problemsOf(raw: unknown): string[] {
  try {
    validateSettings(raw, 'cfg/mail.yaml');
    return [];
  } catch (err) {
    assert.ok(err instanceof SettingsError, `expected SettingsError, got ${String(err)}`);
    assert.equal(err.file, 'cfg/mail.yaml');
    assert.match(err.message, /^cfg\/mail\.yaml: invalid settings:\n {2}/);
    return err.problems;
  }
}

test('a minimal file gets every documented default', () => {
  const expected: Settings = {
    version: 1,
    hostname: 'mail.example.com',
    primaryDomain: 'example.com',
    listen: {
      address: '0.0.0.0',
      smtp: { port: 25 }, submission: { port: 587 }, submissions: { port: 465 },
      pop3: { port: 110 }, pop3s: { port: 995 }, imap: { port: 143 }, imaps: { port: 993 },
      http: { port: 80 }, https: { port: 443 }, ldap: { port: 389 }, ldaps: { port: 636 }, password: { port: 106 },
    },
    tls: { cert: 'tls/cert.pem', key: 'tls/key.pem' },
    auth: { allowPlaintextOnLoopback: false, maxFailuresPerIp: 10, maxFailuresPerUser: 5, failureWindowSeconds: 300 },
    relay: { networks: [], smarthost: null },
    limits: {
      messageSizeBytes: 26214400, recipientsPerMessage: 100, connectionsPerIp: 20, maxConnections: 1000,
      lineLengthBytes: 4096, idleTimeoutSeconds: 300, pop3IdleTimeoutSeconds: 600, dataTimeoutSeconds: 600, drainTimeoutSeconds: 5,
    },
    imap: { autologoutSeconds: 1800, idleTimeoutSeconds: 3600, maxLineBytes: 65536, inlineLiteralBytes: 65536, maxCommandBytes: 1048576 },
    delivery: { quotaExceeded: 'tempfail', maxHops: 50, defaultQuotaBytes: 0 },
    queue: {
      maxAgeSeconds: 432000, retrySchedule: [60, 300, 900, 1800, 3600, 7200, 14400], concurrency: 10,
      sourceAddress: null, connectTimeoutSeconds: 30, remotePort: 25,
    },
    http: { sessionIdleMinutes: 30, sessionMaxHours: 12, pageSize: 50, logDir: null },
    ldap: { allowAnonymous: false, sizeLimit: 500, timeLimitSeconds: 10 },
    password: { minLength: 10, implicitTls: false, plaintextNetworks: ['127.0.0.0/8', '::1/128'], bindAddress: null },
    cron: {
      jobs: {
        queueSweep: { schedule: '*/15 * * * *', enabled: true }, expireTrash: { schedule: '30 3 * * *', enabled: true },
        quotaWarnings: { schedule: '0 * * * *', enabled: true }, deliveryReport: { schedule: '0 6 * * *', enabled: true },
        indexMaintenance: { schedule: '15 4 * * *', enabled: true }, accountsSnapshot: { schedule: '0 2 * * *', enabled: true },
      },
      trashDays: 30, junkDays: 30, quotaWarningPercents: [80, 90], snapshotsKeep: 7,
    },
    accounts: { role: 'standalone', system: 'main', feedPort: 8443, accessNet: [], master: null, members: {} },
  };
  assert.deepEqual(validateSettings(MINIMAL), expected);
});

test('a partly written section keeps the defaults of the fields it leaves out', () => {
  const s = validateSettings({
    ...MINIMAL,
    listen: { smtp: { port: 2525 }, imap: { port: null } },
    relay: { networks: ['10.0.0.0/8', '2001:db8::/32'], smarthost: { host: 'relay.isp.example' } },
    queue: { concurrency: 50 },
  });
  assert.deepEqual(s.listen, {
    address: '0.0.0.0', smtp: { port: 2525 }, submission: { port: 587 }, submissions: { port: 465 },
    pop3: { port: 110 }, pop3s: { port: 995 }, imap: { port: null }, imaps: { port: 993 },
    http: { port: 80 }, https: { port: 443 }, ldap: { port: 389 }, ldaps: { port: 636 }, password: { port: 106 },
  });
  assert.deepEqual(s.relay.smarthost, { host: 'relay.isp.example', port: 587, secure: false, requireTls: true });
  assert.deepEqual(s.relay.networks, ['10.0.0.0/8', '2001:db8::/32']);
  assert.equal(s.queue.concurrency, 50);
  assert.equal(s.queue.remotePort, 25);
});

test('each bad field is reported by its path', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['port not a number', { listen: { smtp: { port: '25' } } }, /^listen\.smtp\.port: .*expected number/],
    ['port out of range', { listen: { pop3: { port: 70000 } } }, /^listen\.pop3\.port: /],
    ['negative port', { listen: { imaps: { port: -1 } } }, /^listen\.imaps\.port: /],
    ['unknown listener', { listen: { lmtp: { port: 24 } } }, /^listen: .*Unrecognized key.*"lmtp"/],
    ['http page size too small', { http: { pageSize: 1 } }, /^http\.pageSize: /],
    ['ldap size limit zero', { ldap: { sizeLimit: 0 } }, /^ldap\.sizeLimit: /],
    ['short password minimum', { password: { minLength: 4 } }, /^password\.minLength: /],
    ['bad plaintext network', { password: { plaintextNetworks: ['nope'] } }, /^password\.plaintextNetworks\.0: /],
    ['bad cron schedule', { cron: { jobs: { expireTrash: { schedule: 'daily' } } } }, /^cron\.jobs\.expireTrash\.schedule: must be a cron schedule/],
    ['unknown cron job', { cron: { jobs: { backup: { schedule: '* * * * *' } } } }, /^cron\.jobs: .*Unrecognized key.*"backup"/],
    ['empty bind address', { listen: { address: '' } }, /^listen\.address: /],
    ['host name as bind address', { listen: { address: 'mail.example.com' } }, /^listen\.address: must be an IP address/],
    ['bad source address', { queue: { sourceAddress: '10.0.0.300' } }, /^queue\.sourceAddress: must be an IP address/],
    ['bad relay network', { relay: { networks: ['10.0.0.0/8', 'bogus'] } }, /^relay\.networks\.1: "bogus" is not an IP network/],
    ['bad first network', { relay: { networks: ['192.168.0.0/33'] } }, /^relay\.networks\.0: .*prefix length must be 0\.\.32/],
    ['networks not a list', { relay: { networks: '10.0.0.0/8' } }, /^relay\.networks: /],
    ['smarthost without host', { relay: { smarthost: { port: 587 } } }, /^relay\.smarthost\.host: /],
    ['smarthost typo', { relay: { smarthost: { host: 'h', pasword: 'x' } } }, /^relay\.smarthost: .*Unrecognized key.*"pasword"/],
    ['tls path not text', { tls: { cert: 5 } }, /^tls\.cert: /],
    ['zero failure limit', { auth: { maxFailuresPerIp: 0 } }, /^auth\.maxFailuresPerIp: /],
    ['plaintext flag not boolean', { auth: { allowPlaintextOnLoopback: 'yes' } }, /^auth\.allowPlaintextOnLoopback: /],
    ['tiny message limit', { limits: { messageSizeBytes: 100 } }, /^limits\.messageSizeBytes: /],
    ['short lines', { limits: { lineLengthBytes: 80 } }, /^limits\.lineLengthBytes: /],
    ['short IMAP lines', { imap: { maxLineBytes: 100 } }, /^imap\.maxLineBytes: /],
    ['fractional recipients', { limits: { recipientsPerMessage: 1.5 } }, /^limits\.recipientsPerMessage: /],
    ['unknown quota action', { delivery: { quotaExceeded: 'bounce' } }, /^delivery\.quotaExceeded: .*"tempfail"\|"reject"/],
    ['too few hops', { delivery: { maxHops: 2 } }, /^delivery\.maxHops: /],
    ['negative default quota', { delivery: { defaultQuotaBytes: -1 } }, /^delivery\.defaultQuotaBytes: /],
    ['empty retry schedule', { queue: { retrySchedule: [] } }, /^queue\.retrySchedule: /],
    ['zero retry delay', { queue: { retrySchedule: [60, 0] } }, /^queue\.retrySchedule\.1: /],
    ['too much concurrency', { queue: { concurrency: 201 } }, /^queue\.concurrency: /],
    ['short max age', { queue: { maxAgeSeconds: 10 } }, /^queue\.maxAgeSeconds: /],
    ['wrong version', { version: 2 }, /^version: /],
    ['bad host name', { hostname: 'mail server' }, /^hostname: must be a valid host name/],
    ['bad primary domain', { primaryDomain: 'exa_mple.com' }, /^primaryDomain: must be a valid domain name/],
    ['unknown top-level key', { relayNetworks: [] }, /^\(top level\): .*Unrecognized key.*"relayNetworks"/],
  ];
  for (const [name, patch, expected] of cases) {
    const problems = problemsOf({ ...MINIMAL, ...patch });
    assert.equal(problems.length, 1, `${name}: one problem expected, got ${JSON.stringify(problems)}`);
    assert.match(problems[0]!, expected, name);
  }
});

test('every problem of a file is reported at once, and a missing or non-object file is named', () => {
  const problems = problemsOf({ version: 1, listen: { smtp: { port: 'x' } }, queue: { concurrency: 0 } });
  assert.deepEqual(problems.map((p) => p.split(':')[0]).sort(), ['hostname', 'listen.smtp.port', 'primaryDomain', 'queue.concurrency']);
  assert.match(problemsOf(null)[0]!, /^\(top level\): .*expected object/);
  assert.match(problemsOf('hostname: x')[0]!, /^\(top level\): /);
});

/** Dotted paths of every leaf (arrays and null count as leaves). */
function leafPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

test('docs/configure.md documents every field, and its example file is valid', () => {
  const doc = readFileSync(new URL('../../../docs/configure.md', import.meta.url), 'utf8');
  const withSmarthost = validateSettings({ ...MINIMAL, relay: { smarthost: { host: 'h', user: 'u', passwordFile: 'p' } } });
  const undocumented = leafPaths(withSmarthost).filter((path) => !doc.includes(`| \`${path}\` |`));
  assert.deepEqual(undocumented, [], 'fields missing from the tables of docs/configure.md');
  const example = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(example, 'docs/configure.md has a yaml example');
  const s = validateSettings(parseYaml(example));
  assert.equal(s.relay.smarthost?.host, 'smtp.provider.example');
});

test('host names are case-insensitive, so an upper-case hostname is accepted', () => {
  assert.deepEqual(problemsOf({ ...MINIMAL, hostname: 'Mail.Example.COM', primaryDomain: 'Example.com' }), []);
});

test('accounts: a slave needs its master, and only a slave has one', () => {
  assert.match(problemsOf({ ...MINIMAL, accounts: { role: 'slave' } }).join('\n'), /accounts\.master: a slave needs master/);
  assert.match(problemsOf({ ...MINIMAL, accounts: { role: 'master', master: { url: 'https://m.example:8443', tokenFile: 't' } } }).join('\n'), /accounts\.master: only a slave/);
  assert.match(problemsOf({ ...MINIMAL, accounts: { role: 'slave', master: { url: 'http://m.example', tokenFile: 't' } } }).join('\n'), /accounts\.master\.url: must be an https/);
  const s = validateSettings({ ...MINIMAL, accounts: { role: 'slave', system: 'osaka', master: { url: 'https://m.example:8443', tokenFile: 'replication.token' }, members: { tokyo: { host: 'mx.tokyo.example' } } } });
  assert.deepEqual(s.accounts.master, { url: 'https://m.example:8443', tokenFile: 'replication.token', fingerprint: null, waitSeconds: 25 });
  assert.deepEqual(s.accounts.members, { tokyo: { host: 'mx.tokyo.example', port: 25 } });
});
