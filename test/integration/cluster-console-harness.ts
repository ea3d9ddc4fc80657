// A two-node loopback cluster (ClusterHarness, test agents) whose nodes serve the web
// console on ports picked by the OS, with two console users; and a console client that
// keeps cookies like a browser and reads the forms' tokens. For the console's HTTP and
// browser tests.
import { hashPassword } from '../../src/lib/password-hash.ts';
import { ClusterHarness, eventually, freePort } from '../helpers/cluster.ts';
import { WebClient } from '../helpers/browser.ts';

export const ADMIN = { name: 'admin', password: 'console-admin-pw' };
export const OPERATOR = { name: 'operator', password: 'console-operator-pw' };

export interface ConsoleCluster {
  readonly h: ClusterHarness;
  base(node: string): string;
}

export interface ConsoleClusterOptions {
  /** Nodes (default 2). */
  readonly nodes?: number;
  /** More fields of the console section (TLS files may go under h.dir). */
  readonly console?: (h: ClusterHarness) => Record<string, unknown> | Promise<Record<string, unknown>>;
}

/** A harness whose config has a console section (nodes not started yet). */
export async function makeConsoleCluster(opts: ConsoleClusterOptions = {}): Promise<ConsoleCluster> {
  const users = [
    { name: ADMIN.name, passwordHash: await hashPassword(ADMIN.password) },
    { name: OPERATOR.name, passwordHash: await hashPassword(OPERATOR.password) },
  ];
  let consoleSection: Record<string, unknown> = {};
  const h = await new ClusterHarness({
    nodes: opts.nodes ?? 2,
    heartbeatMs: 200,
    leaseTtlMs: 3000,
    groups: (c) => [{
      name: 'mail', nodes: c.names(), resources: [
        { name: 'data', type: 'script', params: { start: '/bin/true', stop: '/bin/true', env: { MARKER_DIR: c.markers } } },
        { name: 'app', type: 'script', dependsOn: ['data'], params: { start: '/bin/true', stop: '/bin/true', env: { MARKER_DIR: c.markers, START_DELAY_MS: '1000' } },
          monitors: [{ name: 'alive', kind: 'agent', interval: '300ms', timeout: '300ms', fall: 1 }] },
      ],
    }],
    configFor: (_node, base) => ({ ...base, console: consoleSection }),
  }).init();
  const ports: Record<string, { port: number }> = {};
  for (const n of h.nodes) ports[n.name] = { port: await freePort(n.address) };
  const extraConsole = opts.console ? await opts.console(h) : {};
  consoleSection = { users, nodes: ports, ...extraConsole };
  for (const n of h.nodes) h.writeConfig(n.name);
  const base = (node: string): string => {
    const spec = h.nodes.find((n) => n.name === node)!;
    return `${extraConsole.tls ? 'https' : 'http'}://${spec.address}:${ports[node]!.port}`;
  };
  return { h, base };
}

/** A cookie-keeping client of one node's console. */
/** Starts both nodes and waits until the group runs on sv1, its home. */
export async function startOnHome(c: ConsoleCluster): Promise<void> {
  await c.h.start('sv1');
  await c.h.start('sv2');
  await eventually('mail online on sv1', async () => {
    const g = (await c.h.status('sv2')).groups[0]!;
    return g.holder === 'sv1' && g.resources.sv1?.app === 'running';
  }, 40_000);
}

export class ConsoleClient extends WebClient {
  /** Logs in through the form (with its one-time token); returns the final response. */
  async loginAs(user: string, password: string) {
    const form = await this.get('/login');
    const token = /name="_login" value="([^"]+)"/.exec(form.text)?.[1];
    if (!token) throw new Error(`no login token on /login: ${form.status} ${form.text.slice(0, 300)}`);
    return this.post('/login', { _login: token, user, password });
  }

  /** The session's CSRF token, from the console page's forms. */
  async token(): Promise<string> {
    const page = await this.get('/');
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
    if (!token) throw new Error(`no CSRF token on / (${page.status}); not logged in?`);
    return token;
  }

  /** An operation as the page's script sends it (JSON answer). */
  async operate(path: string, form: Record<string, string>): Promise<{ status: number; body: { message?: string; error?: string } }> {
    const r = await this.post(path, form, { accept: 'application/json' });
    return { status: r.status, body: JSON.parse(r.text) as { message?: string; error?: string } };
  }
}
