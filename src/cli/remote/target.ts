// Where an admin command runs (S13): on the volume of this host (`--data DIR`, as
// always), or through the admin JSON API of the active node, reached at the VIP
// (`--remote URL`, $TANDEM_ADMIN_URL, or a client config file). A standby node or a
// client machine has no volume mounted, so there the config file makes remote the default.
import { readFile, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { isLoopback } from '../../lib/cidr.ts';
import { CliError } from '../io.ts';

/** The options every remote-capable admin command takes. */
export interface TargetOpts {
  data?: string;
  remote?: string;
  tokenFile?: string;
  token?: string;
  ca?: string;
  insecureHttp?: boolean;
}

export type AdminTarget =
  | { readonly kind: 'local'; readonly data: string }
  | {
    readonly kind: 'remote';
    readonly url: URL;
    readonly token: string;
    /** PEM to verify the server with (the http service's certificate or its CA); null: the system CAs. */
    readonly ca: Buffer | null;
    readonly timeoutMs: number;
    /** Where the URL came from, for error messages. */
    readonly source: string;
  };

/** Adds --data and the remote options; $TANDEM_DATA stays the default of --data. */
export function withTargetOptions(cmd: Command): Command {
  return cmd
    .option('--data <dir>', 'data volume directory on this host (default: $TANDEM_DATA when it holds a volume)')
    .option('--remote <url>', 'the admin API of the active node, e.g. https://mail.example.com (default: $TANDEM_ADMIN_URL, or url in admin.yaml)')
    .option('--token-file <file>', 'file holding the admin API token (default: $TANDEM_ADMIN_TOKEN, or token/tokenFile in admin.yaml)')
    .option('--token <token>', 'the admin API token itself (visible to other users in ps: prefer --token-file)')
    .option('--ca <file>', 'PEM certificate to trust for the API (the http service\'s cfg/tls/cert.pem; default: $TANDEM_ADMIN_CA, ca in admin.yaml, else the system CAs)')
    .option('--insecure-http', 'allow an http:// URL to a non-loopback address (the token crosses the network in clear)');
}

/** The client config file: url, token or tokenFile, ca, insecureHttp, timeoutSeconds. */
const ClientConfig = z.object({
  url: z.string().min(1),
  token: z.string().min(1).optional(),
  tokenFile: z.string().min(1).optional(),
  ca: z.string().min(1).optional(),
  insecureHttp: z.boolean().default(false),
  timeoutSeconds: z.number().positive().max(600).default(30),
}).strict();
type ClientConfig = z.infer<typeof ClientConfig>;

/** Where the client config is looked for, first match wins. */
export function configCandidates(env: NodeJS.ProcessEnv = process.env, home = env.HOME ?? homedir()): string[] {
  if (env.TANDEM_ADMIN_CONFIG) return [env.TANDEM_ADMIN_CONFIG];
  const xdg = env.XDG_CONFIG_HOME ?? join(home, '.config');
  return [join(xdg, 'tandem', 'admin.yaml'), '/etc/tandem/admin.yaml'];
}

const exists = (path: string) => stat(path).then(() => true, () => false);

async function readConfig(path: string): Promise<ClientConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the admin client config ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new CliError(`${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`, 2);
  }
  const parsed = ClientConfig.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new CliError(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'file'}: ${i.message}`).join('; ')} (keys: url, token or tokenFile, ca, insecureHttp, timeoutSeconds)`, 2);
  }
  if (parsed.data.token !== undefined) {
    const st = await stat(path);
    if ((st.mode & 0o077) !== 0) process.stderr.write(`tandem: warning: ${path} holds a token and other users can read it; chmod 600 ${path}\n`);
  }
  return parsed.data;
}

async function readSecretFile(path: string, what: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
  }
  const token = text.split(/\r?\n/)[0]!.trim();
  if (token === '') throw new CliError(`the ${what} ${path} is empty`, 2);
  return token;
}

/** Loopback by name or address: the only places plain http may go without --insecure-http. */
function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || (isIP(h) !== 0 && isLoopback(h));
}

/** Checks the URL: https, or http to loopback only unless allowed. */
export function checkUrl(text: string, insecureHttp: boolean, source: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`${source}: "${text}" is not a URL (expected e.g. https://mail.example.com or https://192.0.2.10:8443)`, 2);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CliError(`${source}: ${url.protocol} URLs are not supported; use https://`, 2);
  if (url.protocol === 'http:' && !insecureHttp && !isLoopbackHost(url.hostname)) {
    throw new CliError(`${source}: ${url.origin} is plain http to another host: the token would cross the network in clear; use https:// (or --insecure-http if you must)`, 2);
  }
  if (url.username || url.password) throw new CliError(`${source}: no user or password in the URL; the token goes in --token-file`, 2);
  return url;
}

const NO_TARGET = 'required option \'--data <dir>\' not specified, and no remote admin is configured: give --data DIR on the node where the volume is mounted, '
  + 'or go through the VIP with --remote https://HOST and a token (--token-file FILE or $TANDEM_ADMIN_TOKEN), or $TANDEM_ADMIN_URL, or ~/.config/tandem/admin.yaml (docs/accounts.md)';

/**
 * Picks the target: --data (local) or --remote/$TANDEM_ADMIN_URL (remote); else a volume
 * at $TANDEM_DATA (local); else a client config file (remote); else an error naming both ways.
 */
export async function resolveTarget(opts: TargetOpts, env: NodeJS.ProcessEnv = process.env): Promise<AdminTarget> {
  if (opts.data !== undefined && opts.remote !== undefined) throw new CliError('give either --data (this host\'s volume) or --remote (the API at the VIP), not both', 2);
  if (opts.data !== undefined) return { kind: 'local', data: opts.data };
  const remoteUrl = opts.remote ?? env.TANDEM_ADMIN_URL;
  if (remoteUrl === undefined && env.TANDEM_DATA) {
    // A standby node has $TANDEM_DATA set (the same unit files) but no volume mounted.
    if (await exists(join(resolve(env.TANDEM_DATA), 'cfg', 'mail.yaml'))) return { kind: 'local', data: env.TANDEM_DATA };
  }
  let configPath: string | null = null;
  for (const candidate of configCandidates(env)) {
    if (await exists(candidate)) { configPath = candidate; break; }
  }
  if (remoteUrl === undefined && configPath === null) {
    if (env.TANDEM_DATA) return { kind: 'local', data: env.TANDEM_DATA }; // openVolume names what is wrong with it
    throw new CliError(NO_TARGET);
  }
  const config = configPath ? await readConfig(configPath) : null;
  const source = opts.remote !== undefined ? '--remote' : env.TANDEM_ADMIN_URL !== undefined ? '$TANDEM_ADMIN_URL' : configPath!;
  const url = checkUrl(remoteUrl ?? config!.url, Boolean(opts.insecureHttp) || (remoteUrl === undefined && config!.insecureHttp), source);

  let token: string | undefined;
  if (opts.tokenFile !== undefined) token = await readSecretFile(opts.tokenFile, 'token file');
  else if (opts.token !== undefined) {
    process.stderr.write('tandem: warning: a token on the command line is visible to every user of this host (ps); use --token-file or $TANDEM_ADMIN_TOKEN\n');
    token = opts.token.trim();
  } else if (env.TANDEM_ADMIN_TOKEN) token = env.TANDEM_ADMIN_TOKEN.trim();
  else if (env.TANDEM_ADMIN_TOKEN_FILE) token = await readSecretFile(env.TANDEM_ADMIN_TOKEN_FILE, 'token file');
  else if (config?.tokenFile) token = await readSecretFile(resolve(configPath!, '..', config.tokenFile), 'token file');
  else if (config?.token) token = config.token;
  if (!token) {
    throw new CliError(`no admin token for ${url.origin}: give --token-file FILE, set $TANDEM_ADMIN_TOKEN, or put tokenFile in ${configPath ?? '~/.config/tandem/admin.yaml'} `
      + '(make one on the active node with "tandem mail admin token create NAME --data DIR")', 2);
  }

  const caPath = opts.ca ?? env.TANDEM_ADMIN_CA ?? (config?.ca ? resolve(configPath!, '..', config.ca) : undefined);
  let ca: Buffer | null = null;
  if (caPath !== undefined) {
    try {
      ca = await readFile(caPath);
    } catch (err) {
      throw new CliError(`cannot read the CA file ${caPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
    }
    if (!ca.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) throw new CliError(`the CA file ${caPath} holds no PEM certificate`, 2);
  }
  const timeoutSeconds = env.TANDEM_ADMIN_TIMEOUT !== undefined ? Number(env.TANDEM_ADMIN_TIMEOUT) : config?.timeoutSeconds ?? 30;
  if (!(timeoutSeconds > 0 && timeoutSeconds <= 600)) throw new CliError(`$TANDEM_ADMIN_TIMEOUT must be a number of seconds from 1 to 600, not "${env.TANDEM_ADMIN_TIMEOUT}"`, 2);
  return { kind: 'remote', url, token, ca, timeoutMs: timeoutSeconds * 1000, source };
}
