// The `console` section of the cluster YAML: the web console every node daemon serves (its
// port, TLS, users with scrypt hashes, sessions, login throttling), and the one rule that
// relates it to the nodes: passwords never cross the network in clear unless told to.
import { z } from 'zod';
import { isIP } from 'node:net';

/** The console's default TCP port on every node address (the node channel is 7400). */
export const DEFAULT_CONSOLE_PORT = 7480;

const port = z.number().int().min(1).max(65535);
const nodeName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/i, 'must be a node name');
// Times are whole numbers with the unit in the name, as in the mail settings (this module
// imports nothing from config-schema.ts, which imports it).
const positive = z.number().int().min(1);

/** The stored form of src/lib/password-hash.ts (`tandem cluster console-password` prints one). */
export const SCRYPT_HASH = /^\$scrypt\$ln=\d+,r=\d+,p=\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/;

const user = z.object({
  /** The login name (not a mail address: console users are not mail users). */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, 'must be 1-64 letters, digits, ., _, @ or -'),
  passwordHash: z.string().regex(SCRYPT_HASH, 'must be an scrypt hash as printed by `tandem cluster console-password`'),
}).strict();

export const consoleSchema = z.object({
  /** TCP port on every address of every node (a node's entry in `nodes` may override it). */
  port: port.default(DEFAULT_CONSOLE_PORT),
  /** Per-node overrides, for several nodes on one host (the demo, tests). */
  nodes: z.record(nodeName, z.object({ port: port.optional() }).strict()).default({}),
  /** PEM files on every node; without them the console is plain HTTP (see `plaintext`). */
  tls: z.object({ cert: z.string().min(1), key: z.string().min(1) }).strict().optional(),
  /** Serve plain HTTP on non-loopback addresses (a trusted admin network only). */
  plaintext: z.boolean().default(false),
  users: z.array(user).min(1, 'must list at least one user (name and passwordHash)'),
  /** A session ends after this long without a request, and this long after login. */
  sessionIdleMinutes: positive.default(30),
  sessionMaxHours: positive.default(12),
  /** Login throttling: failed logins inside the window per user name and per client address. */
  login: z.object({
    maxFailuresPerUser: positive.default(5),
    maxFailuresPerIp: positive.default(10),
    windowSeconds: positive.default(300),
  }).strict().default({ maxFailuresPerUser: 5, maxFailuresPerIp: 10, windowSeconds: 300 }),
}).strict();

export type ConsoleConfig = z.output<typeof consoleSchema>;

function isLoopbackAddress(a: string): boolean {
  return isIP(a) === 4 ? a.startsWith('127.') : a === '::1';
}

/** The part of the cluster config the console check reads (kept structural to avoid a type cycle). */
interface ConsoleContext {
  readonly nodes: readonly { readonly name: string; readonly addresses: readonly string[] }[];
  readonly console?: ConsoleConfig | undefined;
}

/** Problems as [path, message]: unknown nodes, duplicate users, a cleartext console on the network. */
export function consoleProblems(config: ConsoleContext): Array<[string, string]> {
  const c = config.console;
  if (!c) return [];
  const problems: Array<[string, string]> = [];
  const names = new Set(config.nodes.map((n) => n.name));
  for (const n of Object.keys(c.nodes)) if (!names.has(n)) problems.push([`console.nodes.${n}`, `unknown node "${n}" (not in nodes)`]);
  const seen = new Set<string>();
  c.users.forEach((u, i) => {
    if (seen.has(u.name)) problems.push([`console.users.${i}.name`, `duplicate user "${u.name}"`]);
    seen.add(u.name);
  });
  if (!c.tls && !c.plaintext) {
    const open = config.nodes.flatMap((n) => n.addresses.filter((a) => !isLoopbackAddress(a)).map((a) => `${n.name} ${a}`));
    if (open.length > 0) {
      problems.push(['console.tls', `the console carries passwords and session cookies: give tls.cert and tls.key, or set plaintext: true for a trusted admin network (not loopback: ${open.join(', ')})`]);
    }
  }
  return problems;
}

/** Adds consoleProblems() to a zod refinement context (wired in config-schema.ts). */
export function refineConsole(config: ConsoleContext, ctx: z.RefinementCtx): void {
  for (const [path, message] of consoleProblems(config)) ctx.addIssue({ code: 'custom', path: path.split('.'), message });
}

/** The console port of `node`. */
export function consolePort(c: ConsoleConfig, node: string): number {
  return c.nodes[node]?.port ?? c.port;
}
