// Where remote mail goes: the smarthost when one is configured, else the domain's MX
// hosts from DNS (RFC 5321 5.1). DNS answers are turned into a plan by schedule.ts.
import { Resolver } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import type { MailContext } from '../core/context.ts';
import { planMxHosts, type AttemptOutcome, type MxRecord } from './schedule.ts';
import type { SmtpTarget } from './smtp-send.ts';

export type ResolveMx = (domain: string) => Promise<MxRecord[]>;

export type Route =
  | { kind: 'targets'; targets: SmtpTarget[] }
  | { kind: 'fail'; outcome: AttemptOutcome };

const DNS_TIMEOUT_MS = 5_000;

/** The system resolver with a timeout: a DNS outage is a temporary failure, never a hang. */
export function defaultResolveMx(): ResolveMx {
  const resolver = new Resolver({ timeout: DNS_TIMEOUT_MS, tries: 2 });
  return (domain) => resolver.resolveMx(domain);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what} timed out after ${ms} ms`), { code: 'ETIMEOUT' })), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** MX hosts for `domain`, or the outcome that stands for every recipient there. */
export async function routeByMx(domain: string, resolveMx: ResolveMx, port: number): Promise<Route> {
  let records: MxRecord[];
  try {
    records = await withTimeout(resolveMx(domain), DNS_TIMEOUT_MS * 3, `MX lookup for ${domain}`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENODATA') {
      records = []; // no MX: the implicit MX is the domain's own address (RFC 5321 5.1)
    } else if (code === 'ENOTFOUND') {
      return { kind: 'fail', outcome: { kind: 'reply', code: 550, text: `5.1.2 domain ${domain} does not exist` } };
    } else if (code === 'ETIMEOUT') {
      return { kind: 'fail', outcome: { kind: 'timeout', error: `MX lookup for ${domain} timed out` } };
    } else {
      return { kind: 'fail', outcome: { kind: 'network', error: `MX lookup for ${domain} failed: ${code ?? (err as Error).message}` } };
    }
  }
  const plan = planMxHosts(domain, records);
  if (plan.kind === 'fail') return plan;
  return { kind: 'targets', targets: plan.hosts.map((host) => ({ host, port, secure: false, requireTls: false, verifyCert: false })) };
}

/** The smarthost as a target, with its password read from passwordFile on each use (rotation). */
export async function smarthostTarget(ctx: MailContext): Promise<SmtpTarget | null> {
  const sh = ctx.settings.relay.smarthost;
  if (!sh) return null;
  let auth: SmtpTarget['auth'];
  if (sh.user) {
    const pass = sh.passwordFile ? (await readFile(ctx.layout.cfgPath(sh.passwordFile), 'utf8')).split(/\r?\n/)[0] ?? '' : '';
    auth = { user: sh.user, pass };
  }
  return { host: sh.host, port: sh.port, secure: sh.secure, requireTls: sh.requireTls, verifyCert: true, ...(auth ? { auth } : {}) };
}
