// How an admin command picks where it runs (resolveTarget): --data, --remote and
// $TANDEM_ADMIN_URL, a volume at $TANDEM_DATA, the client config file; and the setup
// mistakes it refuses before any connection (both targets, cleartext to the network,
// no token, a broken config file), each with exit code 2 and a message that says what to do.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveTarget, checkUrl, type AdminTarget } from './target.ts';
import { CliError } from '../io.ts';

const tmp = mkdtempSync(join(tmpdir(), 'tandem-target-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const TOKEN = `tdm_0123456789abcdef_${'A'.repeat(43)}`;

/** A HOME with ~/.config/tandem/admin.yaml holding `yaml` (and a token file next to it). */
function homeWith(name: string, yaml: string | null): string {
  const home = join(tmp, name);
  const dir = join(home, '.config', 'tandem');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'admin.token'), `${TOKEN}\n`, { mode: 0o600 });
  if (yaml !== null) writeFileSync(join(dir, 'admin.yaml'), yaml, { mode: 0o600 });
  return home;
}

async function refused(p: Promise<AdminTarget>, message: RegExp, exitCode: number): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof CliError, String(err));
    assert.match(err.message, message);
    assert.equal(err.exitCode, exitCode, err.message);
    return true;
  });
}

test('--data is local; --remote and $TANDEM_ADMIN_URL are remote; giving both targets is refused', async () => {
  const env = { HOME: homeWith('plain', null) };
  assert.deepEqual(await resolveTarget({ data: '/srv/mail' }, env), { kind: 'local', data: '/srv/mail' });
  const r = await resolveTarget({ remote: 'https://mail.example.com:8443/' }, { ...env, TANDEM_ADMIN_TOKEN: TOKEN });
  assert.equal(r.kind, 'remote');
  assert.equal(r.kind === 'remote' && r.url.origin, 'https://mail.example.com:8443');
  assert.equal(r.kind === 'remote' && r.token, TOKEN);
  const fromEnv = await resolveTarget({}, { ...env, TANDEM_ADMIN_URL: 'https://vip.example.com', TANDEM_ADMIN_TOKEN: TOKEN });
  assert.equal(fromEnv.kind === 'remote' && fromEnv.url.host, 'vip.example.com');
  await refused(resolveTarget({ data: '/srv/mail', remote: 'https://x.example.com' }, env), /either --data .* or --remote .*, not both/, 2);
});

test('with nothing given, a volume at $TANDEM_DATA is local; where it is not mounted the config file makes it remote', async () => {
  const volume = join(tmp, 'vol');
  mkdirSync(join(volume, 'cfg'), { recursive: true });
  writeFileSync(join(volume, 'cfg', 'mail.yaml'), 'hostname: x\n');
  const home = homeWith('standby', 'url: https://mail.example.com\ntokenFile: admin.token\n');
  assert.deepEqual(await resolveTarget({}, { HOME: home, TANDEM_DATA: volume }), { kind: 'local', data: volume });
  const standby = await resolveTarget({}, { HOME: home, TANDEM_DATA: join(tmp, 'not-mounted') });
  assert.equal(standby.kind, 'remote', 'a standby node: $TANDEM_DATA set, no volume, a client config');
  assert.equal(standby.kind === 'remote' && standby.token, TOKEN, 'tokenFile is read relative to the config file');
  const client = await resolveTarget({}, { HOME: home });
  assert.equal(client.kind === 'remote' && client.source.endsWith('admin.yaml'), true);
  // No config: $TANDEM_DATA stays local, so opening it names what is wrong with the path.
  assert.deepEqual(await resolveTarget({}, { HOME: homeWith('none', null), TANDEM_DATA: '/nowhere' }), { kind: 'local', data: '/nowhere' });
  await refused(resolveTarget({}, { HOME: homeWith('none2', null) }),
    /required option '--data <dir>' not specified, and no remote admin is configured: give --data DIR .* or go through the VIP with --remote/, 1);
  const other = join(tmp, 'elsewhere.yaml');
  writeFileSync(other, `url: https://other.example.com\ntoken: ${TOKEN}\n`, { mode: 0o600 });
  const named = await resolveTarget({}, { HOME: homeWith('none3', null), TANDEM_ADMIN_CONFIG: other });
  assert.equal(named.kind === 'remote' && named.url.host, 'other.example.com', '$TANDEM_ADMIN_CONFIG names the file');
});

test('the token comes from --token-file, the environment or the config file; without one the command says where to put it', async () => {
  const home = homeWith('tokens', 'url: https://mail.example.com\n');
  const file = join(tmp, 'other.token');
  writeFileSync(file, 'tdm_ffffffffffffffff_x\n');
  const r = await resolveTarget({ tokenFile: file }, { HOME: home, TANDEM_ADMIN_TOKEN: TOKEN });
  assert.equal(r.kind === 'remote' && r.token, 'tdm_ffffffffffffffff_x', '--token-file wins over the environment');
  await refused(resolveTarget({}, { HOME: home }), /no admin token for https:\/\/mail\.example\.com: give --token-file FILE, set \$TANDEM_ADMIN_TOKEN, or put tokenFile in .*admin\.yaml/, 2);
  await refused(resolveTarget({ tokenFile: join(tmp, 'missing.token') }, { HOME: home }), /cannot read the token file .*missing\.token: ENOENT/, 2);
});

test('a broken config file, a CA file without a certificate and a bad timeout are named', async () => {
  await refused(resolveTarget({}, { HOME: homeWith('typo', 'url: https://mail.example.com\ntokenfile: admin.token\n') }), /admin\.yaml: .*tokenfile.*\(keys: url, token or tokenFile, ca/, 2);
  await refused(resolveTarget({}, { HOME: homeWith('yaml', 'url: [unclosed\n') }), /admin\.yaml is not valid YAML/, 2);
  const notPem = join(tmp, 'not.pem');
  writeFileSync(notPem, 'hello\n');
  const home = homeWith('ca', 'url: https://mail.example.com\ntokenFile: admin.token\n');
  await refused(resolveTarget({ ca: notPem }, { HOME: home }), /the CA file .*not\.pem holds no PEM certificate/, 2);
  await refused(resolveTarget({}, { HOME: home, TANDEM_ADMIN_TIMEOUT: 'soon' }), /\$TANDEM_ADMIN_TIMEOUT must be a number of seconds/, 2);
});

test('plain http only to loopback unless --insecure-http; no credentials in the URL', () => {
  assert.equal(checkUrl('http://127.0.0.1:8080', false, 'test').host, '127.0.0.1:8080');
  assert.equal(checkUrl('http://[::1]:8080', false, 'test').hostname, '[::1]');
  assert.equal(checkUrl('http://localhost:8080', false, 'test').hostname, 'localhost');
  assert.throws(() => checkUrl('http://192.0.2.1:8080', false, '--remote'), /--remote: http:\/\/192\.0\.2\.1:8080 is plain http to another host: the token would cross the network in clear/);
  assert.throws(() => checkUrl('http://127.evil.example.com', false, 'test'), /plain http to another host/, 'a name that looks like loopback is not');
  assert.equal(checkUrl('http://192.0.2.1:8080', true, 'test').protocol, 'http:');
  assert.throws(() => checkUrl('ftp://x.example.com', false, 'test'), /ftp: URLs are not supported/);
  assert.throws(() => checkUrl('mail.example.com', false, 'test'), /is not a URL/);
  assert.throws(() => checkUrl('https://admin:pw@mail.example.com', false, 'test'), /no user or password in the URL/);
});
