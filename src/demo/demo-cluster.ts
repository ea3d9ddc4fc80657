// The demo's cluster (DESIGN 4): nodes sv1 and sv2 as local processes on 127.0.0.101 and
// 127.0.0.102, the disk arbiter under var/demo/arbiter, and the mail group on the VIP
// 127.0.0.100 (loopback driver) with the demo volume. The configuration is written on
// every start (so a newer checkout's group applies) and keeps the secret of the last one.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { replaceFileDurable } from '../lib/durable.ts';
import type { Settings } from '../mail/core/settings.ts';
import { validateClusterConfig, type ClusterConfig } from '../cluster/model/config.ts';
import { hashPassword } from '../lib/password-hash.ts';
import { mailClusterConfig, mailServicesFor, renderClusterYaml } from './mail-group.ts';
import type { DemoPaths } from './demo-paths.ts';

export const DEMO_NODES = [
  { name: 'sv1', address: '127.0.0.101' },
  { name: 'sv2', address: '127.0.0.102' },
] as const;
export const DEMO_NODE_PORT = 7400;
export const DEMO_VIP = '127.0.0.100';
/** The cluster console (the seed's WebManager) on every demo node; loopback, so plain HTTP. */
export const DEMO_CONSOLE = { port: 7480, user: 'admin', password: 'demo-console' } as const;

const TANDEM_BIN = fileURLToPath(new URL('../../bin/tandem.js', import.meta.url));

/** The secret of an earlier demo configuration, so clients holding it keep working. */
async function previousSecret(path: string): Promise<string | null> {
  try {
    const raw = parseYaml(await readFile(path, 'utf8')) as { cluster?: { secret?: unknown } } | null;
    const s = raw?.cluster?.secret;
    return typeof s === 'string' && s.length >= 16 ? s : null;
  } catch {
    return null;
  }
}

/** Writes var/demo/cluster.yaml for the demo volume's settings; returns the validated config. */
export async function writeDemoClusterConfig(paths: DemoPaths, settings: Settings): Promise<ClusterConfig> {
  await mkdir(paths.arbiter, { recursive: true });
  await mkdir(paths.logs, { recursive: true });
  const secret = (await previousSecret(paths.config)) ?? randomBytes(24).toString('base64url');
  const mailGroup = mailClusterConfig({
    cluster: { name: 'demo', secret },
    nodes: DEMO_NODES.map((n) => ({ name: n.name, addresses: [n.address], port: DEMO_NODE_PORT })),
    // A little slower than the defaults: a demo shares its machine with everything else,
    // and a busy laptop should not see a failover nobody caused.
    heartbeat: { intervalMs: 500, timeoutMs: 3_000 },
    arbiter: { type: 'disk', path: paths.arbiter, leaseTtlMs: 4_000 },
    group: {
      nodes: DEMO_NODES.map((n) => n.name),
      vip: { address: DEMO_VIP, driver: 'loopback' },
      volume: { path: paths.volume },
      tandem: [process.execPath, TANDEM_BIN],
      services: mailServicesFor(settings),
      style: 'services',
      // The services' own logs go to var/demo/logs/NAME.log (the admin console's mail log
      // reads them there); the event log keeps the cluster's view.
      logDir: paths.logs,
      startTimeoutMs: 60_000,
    },
    alerts: [{ type: 'log' }],
  });
  const raw = {
    ...mailGroup,
    console: { port: DEMO_CONSOLE.port, users: [{ name: DEMO_CONSOLE.user, passwordHash: await hashPassword(DEMO_CONSOLE.password) }] },
  };
  const checked = validateClusterConfig(raw);
  if (!checked.ok) throw new Error(`the demo's cluster configuration is invalid (a bug): ${checked.errors.join('; ')}`);
  const text = renderClusterYaml(raw, [
    'The one-machine demo\'s cluster (written by `tandem demo` at every start; edits are lost).',
    'Two nodes as local processes, the mail group on 127.0.0.100. See docs/ha-mail.md.',
  ]);
  await replaceFileDurable(paths.config, text);
  await chmod(paths.config, 0o600); // it holds the cluster secret
  return checked.config;
}
