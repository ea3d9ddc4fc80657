// Test fixture: a fresh data volume in a temp directory, with the demo domain and
// users (alice/wonderland, bob/builder), plaintext auth allowed on loopback, and
// every listener on port 0 unless a test asks otherwise.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initVolume, type VolumeLayout } from '../../src/mail/core/volume.ts';
import type { SettingsInput } from '../../src/mail/core/settings.ts';
import { Directory } from '../../src/mail/directory/directory.ts';

export interface TestVolume {
  readonly root: string;
  readonly layout: VolumeLayout;
  readonly directory: Directory;
  cleanup(): void;
}

const ZERO_PORTS = {
  address: '127.0.0.1',
  smtp: { port: 0 }, submission: { port: 0 }, submissions: { port: 0 },
  pop3: { port: 0 }, pop3s: { port: 0 }, imap: { port: null }, imaps: { port: null },
  http: { port: null }, https: { port: null }, ldap: { port: null }, ldaps: { port: null }, password: { port: null },
};

export async function makeTestVolume(settings: Partial<SettingsInput> = {}): Promise<TestVolume> {
  const root = mkdtempSync(join(tmpdir(), 'tandem-vol-'));
  const layout = await initVolume(join(root, 'vol'), {
    hostname: 'mail.demo.test',
    domain: 'demo.test',
    settings: {
      listen: ZERO_PORTS,
      auth: { allowPlaintextOnLoopback: true },
      ...settings,
    },
  });
  const directory = Directory.open(layout.accountsDb);
  directory.addDomain('demo.test');
  await directory.addUser({ address: 'alice@demo.test', password: 'wonderland', displayName: 'Alice Liddell' });
  await directory.addUser({ address: 'bob@demo.test', password: 'builder', displayName: 'Bob Builder' });
  return {
    root: layout.root,
    layout,
    directory,
    cleanup() {
      directory.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
