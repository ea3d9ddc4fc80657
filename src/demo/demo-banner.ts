// What `npm start` prints once the demo runs: the nodes and their PIDs, where the group
// runs, where each mail service listens (from the volume's settings), the demo users,
// commands to try (including how to cause a failover), and where the logs are.
import { relative } from 'node:path';
import type { Settings } from '../mail/core/settings.ts';
import type { MailServiceSpec } from './mail-group.ts';
import { DEMO } from './demo-volume.ts';
import type { DemoPaths } from './demo-paths.ts';
import { DEMO_CONSOLE } from './demo-cluster.ts';

/** Each service's listeners as "address:port", from the settings the services read. */
export function listenersOf(settings: Settings, service: string): string[] {
  const l = settings.listen;
  const at = (...ls: Array<{ port: number | null }>) => ls.flatMap((x) => (x.port ? [`${l.address}:${x.port}`] : []));
  switch (service) {
    case 'smtp': return at(l.smtp, l.submission, l.submissions);
    case 'pop3': return at(l.pop3, l.pop3s);
    case 'imap': return at(l.imap, l.imaps);
    case 'http': return at(l.http, l.https);
    case 'ldap': return at(l.ldap, l.ldaps);
    case 'password': return l.password.port ? [`${settings.password.bindAddress ?? l.address}:${l.password.port}`] : [];
    case 'replication': return settings.accounts.role === 'master' && settings.accounts.feedPort ? [`${l.address}:${settings.accounts.feedPort}`] : [];
    default: return [];
  }
}

export interface BannerNode { name: string; address: string; port: number; pid: number | null; guardPid: number | null }

export interface BannerInput {
  readonly paths: DemoPaths;
  readonly settings: Settings;
  readonly services: readonly MailServiceSpec[];
  readonly nodes: readonly BannerNode[];
  readonly holder: string;
  readonly epoch: number;
  readonly vip: string;
  readonly cwd: string;
  /** The cluster commands find the configuration on their own (the demo runs from this checkout). */
  readonly configFound: boolean;
}

export function nodeLine(n: BannerNode): string {
  return `  ${n.name.padEnd(10)} ${`${n.address}:${n.port}`.padEnd(18)} pid ${n.pid ?? '-'}${n.guardPid ? ` (guard ${n.guardPid})` : ''}`;
}

export function demoBanner(b: BannerInput): string {
  // Paths inside the working directory are shown relative to it, others in full.
  const rel = (p: string) => (p === b.cwd || p.startsWith(`${b.cwd}/`) ? relative(b.cwd, p) || '.' : p);
  const cfg = b.configFound ? '' : ` --config ${rel(b.paths.config)}`;
  const other = b.nodes.find((n) => n.name !== b.holder)?.name ?? 'sv2';
  const holderPid = b.nodes.find((n) => n.name === b.holder)?.pid;
  const p = DEMO.ports;
  const lines = [
    '',
    `Tandem demo is running: a two-node cluster on this machine, the mail group on ${b.vip}.`,
    '',
    'Nodes (tandem node start, one process each):',
    ...b.nodes.map(nodeLine),
    `  group mail runs on ${b.holder} (lease epoch ${b.epoch}); arbiter: disk, ${rel(b.paths.arbiter)}`,
    `  cluster configuration: ${rel(b.paths.config)}    data volume: ${rel(b.paths.volume)}`,
    '',
    `Mail services of the group (domain ${DEMO.domain}), bound to the VIP only:`,
    ...b.services.map((s) => `  ${s.name.padEnd(10)} ${listenersOf(b.settings, s.name).join('  ') || '(no listener)'}`),
    '',
    'Users (demo only):',
    ...DEMO.users.map((u) => `  ${u.address.padEnd(18)} password ${u.password}`),
    '',
    'Try it from another terminal in this directory:',
    `  swaks --server ${b.vip}:${p.smtp} --from bob@demo.test --to alice@demo.test`,
    `  curl -s pop3://${b.vip}:${p.pop3}/ --user alice@demo.test:wonderland`,
    `  curl -s imap://${b.vip}:${p.imap}/INBOX -X 'FETCH 1:* (FLAGS)' --user alice@demo.test:wonderland`,
    `  webmail and admin console: http://${b.vip}:${p.http}/  (alice is an admin)`,
    `  npx tandem mail user list --data ${rel(b.paths.volume)}`,
    '',
    `The cluster${b.configFound ? ' (the commands find the demo\'s configuration while it runs)' : ''}:`,
    `  npx tandem status${cfg}`,
    `  npx tandem group move mail --to ${other}${cfg}      # a planned switchover`,
    `  kill -9 ${holderPid ?? `<pid of ${b.holder}>`}      # crash ${b.holder}: ${other} takes over; the demo restarts ${b.holder} as a standby`,
    `  npx tandem log --follow${cfg}`,
    `  cluster console: ${b.nodes.map((n) => `http://${n.address}:${DEMO_CONSOLE.port}/`).join('  ')}  (user ${DEMO_CONSOLE.user}, password ${DEMO_CONSOLE.password})`,
    '',
    `Logs: ${rel(b.paths.logs)}/ (sv1.log, sv2.log, one per mail service)    Event logs: ${rel(b.paths.nodeState('sv1'))}/events.jsonl, ...`,
    'Press Ctrl-C to stop. The next `npm start` keeps this mail.',
    '',
  ];
  return `${lines.join('\n')}\n`;
}
