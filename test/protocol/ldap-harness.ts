// Harness for the LDAP protocol tests: a real ldap service on 127.0.0.1 port 0 over a
// fresh test volume (alice, bob, an alias, a list, a disabled user), ldapsearch runs,
// and an ldapjs client with promise helpers.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pino } from 'pino';
import { makeTestVolume, type TestVolume } from '../helpers/volume.ts';
import type { SettingsInput } from '../../src/mail/core/settings.ts';
import type { MailContext } from '../../src/mail/core/context.ts';
import { loadSettings, loadTls } from '../../src/mail/core/volume.ts';
import { startLdapService, type LdapService } from '../../src/mail/ldap/service.ts';

import type * as Ldapjs from 'ldapjs';

const require = createRequire(import.meta.url);
export const ldapjs = require('ldapjs') as typeof Ldapjs;

export interface LdapFixture {
  readonly vol: TestVolume;
  readonly service: LdapService;
  readonly port: number;
  readonly tlsPort: number;
  stop(): Promise<void>;
}

export async function startLdap(settings: Partial<SettingsInput> = {}): Promise<LdapFixture> {
  const vol = await makeTestVolume({
    listen: {
      address: '127.0.0.1', smtp: { port: null }, submission: { port: null }, submissions: { port: null },
      pop3: { port: null }, pop3s: { port: null }, imap: { port: null }, imaps: { port: null },
      http: { port: null }, https: { port: null }, ldap: { port: 0 }, ldaps: { port: 0 }, password: { port: null },
    },
    ...settings,
  });
  vol.directory.addAlias('sales@demo.test', ['alice@demo.test']);
  vol.directory.addList({ address: 'team@demo.test', description: 'The whole team' });
  vol.directory.addListMember('team@demo.test', 'alice@demo.test');
  vol.directory.addListMember('team@demo.test', 'bob@demo.test');
  await vol.directory.addUser({ address: 'carol@demo.test', password: 'carolcarol', displayName: 'Carol Away', enabled: false });
  await vol.directory.addUser({ address: 'alfred@demo.test', password: 'alfredalfred', displayName: 'Alfred Pennyworth' });
  const loaded = await loadSettings(vol.layout);
  const ctx: MailContext = {
    layout: vol.layout, settings: loaded, directory: vol.directory,
    tls: await loadTls(vol.layout, loaded), log: pino({ level: process.env.TANDEM_TEST_LOG ?? 'silent' }),
  };
  const service = await startLdapService(ctx);
  return {
    vol, service,
    port: service.ports.ldap!,
    tlsPort: service.ports.ldaps!,
    async stop() {
      await service.close();
      vol.cleanup();
    },
  };
}

export interface RunResult { code: number | null; stdout: string; stderr: string }

/** Runs an ldap-utils command (ldapsearch, ldapwhoami, ldapmodify) with a deadline. */
export function runLdapTool(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, LDAPTLS_REQCERT: 'never', ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${cmd} ${args.join(' ')} took over 30 s; stderr: ${stderr}`)); }, 30_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    child.stdin.end(opts.input ?? '');
  });
}

/** The DNs in ldapsearch -LLL output, in order. */
export function dnsIn(ldif: string): string[] {
  return ldif.split('\n').filter((l) => l.startsWith('dn: ')).map((l) => l.slice(4));
}

/** Values of one attribute in LDIF output. */
export function valuesIn(ldif: string, attribute: string): string[] {
  return ldif.split('\n').filter((l) => l.toLowerCase().startsWith(`${attribute.toLowerCase()}: `)).map((l) => l.slice(attribute.length + 2));
}

type Client = Ldapjs.Client;

export function ldapClient(url: string): Client {
  const client = ldapjs.createClient({ url, tlsOptions: { rejectUnauthorized: false }, timeout: 15_000, connectTimeout: 15_000 });
  client.on('error', () => undefined);
  return client;
}

export function bind(client: Client, name: string, password: string): Promise<void> {
  return new Promise((resolve, reject) => client.bind(name, password, (err) => (err ? reject(err) : resolve())));
}

export interface SearchResult { entries: Array<{ dn: string; attributes: Record<string, string[]> }>; status: number; error?: Error & { code?: number } }

export function search(client: Client, base: string, options: Ldapjs.SearchOptions): Promise<SearchResult> {
  return new Promise((resolve, reject) => {
    client.search(base, options, (err, res) => {
      if (err) return reject(err);
      const entries: SearchResult['entries'] = [];
      res.on('searchEntry', (e) => {
        const attributes: Record<string, string[]> = {};
        for (const a of e.attributes) attributes[a.type] = a.values as string[];
        entries.push({ dn: String(e.objectName ?? ''), attributes });
      });
      res.on('error', (error: Error & { code?: number }) => resolve({ entries, status: error.code ?? -1, error }));
      res.on('end', (r) => resolve({ entries, status: r?.status ?? 0 }));
    });
  });
}

export function unbind(client: Client): Promise<void> {
  return new Promise((resolve) => {
    client.unbind(() => resolve());
    setTimeout(() => { client.destroy(); resolve(); }, 2000).unref();
  });
}
