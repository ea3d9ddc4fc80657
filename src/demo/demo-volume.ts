// The one-machine demo's data volume (DESIGN 4): var/demo/, domain demo.test, users
// alice/wonderland and bob/builder, services on 127.0.0.100 with the demo ports.
// Made on the first start and reused after, so mail survives restarts.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { initVolume, VolumeLayout } from '../mail/core/volume.ts';
import { Directory } from '../mail/directory/directory.ts';

export const DEMO = {
  address: '127.0.0.100',
  hostname: 'mail.demo.test',
  domain: 'demo.test',
  ports: { smtp: 2525, submission: 2587, submissions: 2465, pop3: 2110, pop3s: 2995, imap: 2143, imaps: 2993, http: 8080, ldap: 3389, password: 2106 },
  users: [
    { address: 'alice@demo.test', password: 'wonderland', displayName: 'Alice Liddell' },
    { address: 'bob@demo.test', password: 'builder', displayName: 'Bob the Builder' },
  ],
} as const;

/** Creates the demo volume if it does not exist yet; returns its layout. */
export async function ensureDemoVolume(root: string): Promise<{ layout: VolumeLayout; created: boolean }> {
  const dataDir = join(root, 'mail');
  const layout = new VolumeLayout(dataDir);
  const exists = await access(layout.settingsFile).then(() => true, () => false);
  if (!exists) {
    const p = DEMO.ports;
    await initVolume(dataDir, {
      hostname: DEMO.hostname,
      domain: DEMO.domain,
      settings: {
        listen: {
          address: DEMO.address,
          smtp: { port: p.smtp }, submission: { port: p.submission }, submissions: { port: p.submissions },
          pop3: { port: p.pop3 }, pop3s: { port: p.pop3s }, imap: { port: p.imap }, imaps: { port: p.imaps },
          http: { port: p.http }, https: { port: null }, ldap: { port: p.ldap }, ldaps: { port: null }, password: { port: p.password },
        },
        // Demo only: lets desktop clients and curl log in without TLS on 127.0.0.100.
        auth: { allowPlaintextOnLoopback: true },
        // The demo's services log to var/demo/logs (relative to cfg/): the admin console's mail log reads them.
        http: { logDir: '../../logs' },
      },
    });
  }
  const directory = Directory.open(layout.accountsDb);
  try {
    if (!directory.getDomain(DEMO.domain)) directory.addDomain(DEMO.domain);
    for (const u of DEMO.users) {
      if (!directory.getUser(u.address)) await directory.addUser(u);
    }
    if (!directory.getAlias(`postmaster@${DEMO.domain}`)) directory.addAlias(`postmaster@${DEMO.domain}`, ['alice@demo.test']);
    // alice may use the admin console (tandem mail admin grant).
    directory.database.prepare('INSERT OR IGNORE INTO web_admins (address, created_at) VALUES (?, ?)').run('alice@demo.test', Date.now());
  } finally {
    directory.close();
  }
  return { layout, created: !exists };
}
