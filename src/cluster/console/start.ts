// Starts the console of one node daemon: one listener per node address on the console
// port (plain HTTP, or HTTPS with the configured certificate), sharing one session store
// and one login throttle. A console that cannot start (missing certificate, port taken)
// is an error event, not a dead node: the cluster keeps running without its web page.
import type { FastifyInstance } from 'fastify';
import { readFile } from 'node:fs/promises';
import { LoginThrottle } from '../../lib/login-throttle.ts';
import { consolePort } from '../model/console-schema.ts';
import type { NodeDaemon } from '../node/daemon.ts';
import { buildConsoleApp, type ConsoleDeps } from './app.ts';
import { ConsoleSessions } from './sessions.ts';
import { PeerDifferences, type Redact } from './differences.ts';

/** Open live streams per node (each renders the page once a second). */
const MAX_STREAMS = 32;

/** The URLs the console answers on, for logs and the docs' "where is it". */
export function consoleUrls(d: NodeDaemon): string[] {
  const c = d.config.console;
  if (!c) return [];
  const me = d.config.nodes.find((n) => n.name === d.self);
  const port = consolePort(c, d.self);
  return (me?.addresses ?? []).map((a) => `${c.tls ? 'https' : 'http'}://${a.includes(':') ? `[${a}]` : a}:${port}/`);
}

/** `redact`: how the API shows a configuration to peers (passed in: the API module starts the console). */
export async function startConsole(d: NodeDaemon, redact: Redact): Promise<FastifyInstance[]> {
  const c = d.config.console;
  if (!c) return [];
  const servers: FastifyInstance[] = [];
  try {
    const tls = c.tls ? { cert: await readFile(c.tls.cert), key: await readFile(c.tls.key) } : null;
    const deps: ConsoleDeps = {
      d, config: c, secure: tls !== null,
      sessions: new ConsoleSessions({ idleMs: c.sessionIdleMinutes * 60_000, maxMs: c.sessionMaxHours * 3_600_000 }),
      throttle: new LoginThrottle({ maxFailuresPerIp: c.login.maxFailuresPerIp, maxFailuresPerUser: c.login.maxFailuresPerUser, windowMs: c.login.windowSeconds * 1000 }),
      streams: { open: 0, max: MAX_STREAMS },
      differences: new PeerDifferences(d, redact),
    };
    const me = d.config.nodes.find((n) => n.name === d.self)!;
    const port = consolePort(c, d.self);
    for (const host of me.addresses) {
      const app = await buildConsoleApp(deps, tls);
      servers.push(app);
      await app.listen({ host, port });
    }
    d.emit({ kind: 'console.started', level: 'info', message: `console of ${d.self} at ${consoleUrls(d).join(', ')}` });
    return servers;
  } catch (err) {
    await Promise.all(servers.map((s) => s.close().catch(() => undefined)));
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EADDRINUSE' ? `port ${consolePort(c, d.self)} is already in use` : e.code === 'ENOENT' ? `cannot read ${e.path ?? 'a TLS file'}` : e.message;
    d.emit({ kind: 'console.failed', level: 'error', message: `console of ${d.self} not started: ${why}; the node runs without it` });
    return [];
  }
}
