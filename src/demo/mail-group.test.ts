// The mail group's configuration: the generator's output is a valid cluster configuration
// in both styles, the example files in examples/mail-cluster/ are exactly what it renders
// for their parameters (so the docs' example, the demo and the tests run one group), and
// the services and monitor ports follow the volume's settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseClusterConfig, validateClusterConfig } from '../cluster/model/config.ts';
import { validateSettings } from '../mail/core/settings.ts';
import { formatDuration, mailClusterConfig, mailServicesFor, renderClusterYaml, type MailGroupOptions } from './mail-group.ts';

const EXAMPLE = (name: string) => fileURLToPath(new URL(`../../examples/mail-cluster/${name}`, import.meta.url));

const settings = (extra: Record<string, unknown> = {}) =>
  validateSettings({ version: 1, hostname: 'mail.example.com', primaryDomain: 'example.com', listen: { address: '198.18.0.100' }, ...extra }, 'test');

function exampleCluster(style: MailGroupOptions['style'], sync: string[], logDir?: string): Record<string, unknown> {
  return mailClusterConfig({
    cluster: { name: 'mail-cluster', secret: 'change-me-to-a-long-random-string' },
    nodes: [{ name: 'sv1', addresses: ['198.18.0.1'] }, { name: 'sv2', addresses: ['198.18.0.2'] }],
    heartbeat: { intervalMs: 500, timeoutMs: 2_000 },
    arbiter: { type: 'disk', path: '/srv/shared/tandem', leaseTtlMs: 2_000 },
    group: {
      nodes: ['sv1', 'sv2'],
      vip: { address: '198.18.0.100', prefix: 24, driver: 'iproute2', interface: 'eth0' },
      volume: { path: '/srv/mail', device: '/dev/disk/by-label/tandem-mail', fsType: 'ext4' },
      tandem: ['tandem'],
      services: mailServicesFor(settings()),
      sync,
      style,
      ...(logDir ? { logDir } : {}),
    },
    alerts: [{ type: 'log' }, { type: 'console', wall: true }],
  });
}

test('examples/mail-cluster/cluster.yaml is the declarative group the generator renders', () => {
  const file = parseClusterConfig(readFileSync(EXAMPLE('cluster.yaml'), 'utf8'));
  assert.ok(file.ok, file.ok ? '' : file.errors.join('\n'));
  const generated = validateClusterConfig(exampleCluster('services', ['/etc/tandem/tandem.env'], '/var/log/tandem'));
  assert.ok(generated.ok, generated.ok ? '' : generated.errors.join('\n'));
  assert.deepEqual(file.config, generated.config);
  const types = file.config.groups[0]!.resources.map((r) => `${r.name}:${r.type}`);
  assert.deepEqual(types, ['volume:volume', 'vip:vip', 'node-files:sync', 'smtp:service', 'password:service', 'pop3:service', 'imap:service', 'http:service', 'cron:service', 'ldap:service']);
});

test('examples/mail-cluster/cluster-scripted.yaml is the scripted group the generator renders', () => {
  const file = parseClusterConfig(readFileSync(EXAMPLE('cluster-scripted.yaml'), 'utf8'));
  assert.ok(file.ok, file.ok ? '' : file.errors.join('\n'));
  const generated = validateClusterConfig(exampleCluster({ start: '/etc/tandem/mail-start.sh', stop: '/etc/tandem/mail-stop.sh' }, ['/etc/tandem/mail-start.sh', '/etc/tandem/mail-stop.sh']));
  assert.ok(generated.ok, generated.ok ? '' : generated.errors.join('\n'));
  assert.deepEqual(file.config, generated.config);
  const script = file.config.groups[0]!.resources.find((r) => r.type === 'script')!;
  assert.deepEqual(script.monitors.map((m) => m.name), ['smtp-port', 'password-port', 'pop3-port', 'imap-port', 'http-port', 'ldap-port']);
});

test('the rendered YAML reads back as the same configuration, without YAML aliases', () => {
  const raw = exampleCluster('services', ['/etc/tandem/tandem.env']);
  const text = renderClusterYaml(raw, ['a header']);
  assert.match(text, /^# a header\n/);
  assert.doesNotMatch(text, /[&*]a\d/);
  const back = parseClusterConfig(text);
  assert.ok(back.ok);
  assert.deepEqual(back.config, (validateClusterConfig(raw) as { config: unknown }).config);
});

test('mailServicesFor: seven services, the plain port of each on the VIP; replication on master and slave only', () => {
  const standalone = mailServicesFor(settings());
  assert.deepEqual(standalone.map((s) => [s.name, s.check ? `${s.check.host}:${s.check.port}` : null]), [
    ['smtp', '198.18.0.100:25'], ['password', '198.18.0.100:106'], ['pop3', '198.18.0.100:110'], ['imap', '198.18.0.100:143'],
    ['http', '198.18.0.100:80'], ['cron', null], ['ldap', '198.18.0.100:389'],
  ]);
  // A disabled plain listener: the monitor watches the TLS one; the password service may bind elsewhere.
  const tlsOnly = mailServicesFor(settings({ listen: { address: '198.18.0.100', imap: { port: null }, pop3: { port: null } }, password: { bindAddress: '127.0.0.1' } }));
  assert.deepEqual(tlsOnly.find((s) => s.name === 'imap')!.check, { host: '198.18.0.100', port: 993 });
  assert.deepEqual(tlsOnly.find((s) => s.name === 'pop3')!.check, { host: '198.18.0.100', port: 995 });
  assert.deepEqual(tlsOnly.find((s) => s.name === 'password')!.check, { host: '127.0.0.1', port: 106 });

  const master = mailServicesFor(settings({ accounts: { role: 'master' } }));
  assert.deepEqual(master.at(-1), { name: 'replication', check: { host: '198.18.0.100', port: 8443 } });
  const slave = mailServicesFor(settings({ accounts: { role: 'slave', master: { url: 'https://mail.example.com:8443', tokenFile: 'token' } } }));
  assert.deepEqual(slave.at(-1), { name: 'replication', check: null });
});

test('a service log directory wraps the command so its stderr goes to LOGDIR/NAME.log, same process', () => {
  const raw = mailClusterConfig({
    cluster: { name: 'demo', secret: 'x'.repeat(16) },
    nodes: [{ name: 'sv1', addresses: ['127.0.0.101'] }],
    arbiter: { type: 'disk', path: '/tmp/arb' },
    group: { nodes: ['sv1'], vip: { address: '127.0.0.100', driver: 'loopback' }, volume: { path: '/v' }, tandem: ['tandem'], services: [{ name: 'cron', check: null }], style: 'services', logDir: '/logs' },
  });
  const checked = validateClusterConfig(raw);
  assert.ok(checked.ok);
  const cron = checked.config.groups[0]!.resources.find((r) => r.name === 'cron')!;
  assert.equal(cron.type, 'service');
  const command = cron.type === 'service' ? cron.params.command : [];
  assert.deepEqual(command, ['sh', '-c', 'exec "$@" 2>>"$0"', '/logs/cron.log', 'tandem', 'mail', 'serve', 'cron', '--data', '/v']);
  // What sh makes of it: the program runs with the arguments, stderr appended to the file.
  const dir = mkdtempSync(join(tmpdir(), 'tandem-mail-group-'));
  try {
    const log = join(dir, 'cron.log');
    const r = spawnSync('sh', ['-c', command[2]!, log, 'sh', '-c', 'echo to-stderr >&2; echo "$$"'], { encoding: 'utf8' });
    assert.equal(readFileSync(log, 'utf8'), 'to-stderr\n');
    assert.equal(r.stdout.trim(), String(r.pid), 'exec: the service is the process the agent spawned');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(checked.config.groups[0]!.resources.find((x) => x.name === 'vip')!.params, { address: '127.0.0.100', prefix: 32, driver: 'loopback' });
});

test('formatDuration writes what the configuration reads', () => {
  assert.deepEqual([250, 1000, 60_000, 90_000, 600_000].map(formatDuration), ['250ms', '1s', '1m', '90s', '10m']);
});
