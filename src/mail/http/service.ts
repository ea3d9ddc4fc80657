// The http service (`tandem mail serve http`): webmail, admin console and admin API on
// listen.http (cleartext: redirects to HTTPS, or serves loopback when the volume allows
// plaintext there) and listen.https (the volume's certificate). One process, two
// fastify instances sharing the same state.
import type { FastifyInstance } from 'fastify';
import type { MailContext, RunningService } from '../core/context.ts';
import { LoginThrottle } from '../../lib/login-throttle.ts';
import { WebDb } from './store/web-db.ts';
import { WebMailbox } from './mail/mailbox.ts';
import { buildApp } from './app.ts';
import type { HttpDeps } from './deps.ts';

export interface HttpService extends RunningService {
  readonly ports: { http?: number; https?: number };
}

/** Expired sessions are removed this often (logins also purge). */
const PURGE_EVERY_MS = 10 * 60_000;

function hostFor(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

export async function startHttpService(ctx: MailContext): Promise<HttpService> {
  const { settings, log } = ctx;
  const web = WebDb.open(ctx.layout.accountsDb);
  const mailbox = new WebMailbox(ctx.layout);
  const deps: HttpDeps = {
    ctx, web, mailbox, now: Date.now,
    throttle: new LoginThrottle({
      maxFailuresPerIp: settings.auth.maxFailuresPerIp,
      maxFailuresPerUser: settings.auth.maxFailuresPerUser,
      windowMs: settings.auth.failureWindowSeconds * 1000,
    }),
  };
  const listening: string[] = [];
  const ports: { http?: number; https?: number } = {};
  const apps: FastifyInstance[] = [];
  const host = settings.listen.address;
  const httpsPort = settings.listen.https.port;
  // Cleartext visitors go to the official host name on the TLS port (known once bound).
  const httpsUrl = () => (ports.https === undefined ? null : `https://${settings.hostname}${ports.https === 443 ? '' : `:${ports.https}`}`);

  try {
    if (httpsPort !== null) {
      const app = await buildApp(deps, { secure: true, tls: { cert: ctx.tls.cert, key: ctx.tls.key }, httpsUrl: null, listening: () => listening });
      await app.listen({ port: httpsPort, host });
      ports.https = (app.server.address() as { port: number }).port;
      listening.push(`${hostFor(host)}:${ports.https}`);
      apps.push(app);
    }
    if (settings.listen.http.port !== null) {
      const app = await buildApp(deps, { secure: false, tls: null, httpsUrl: httpsUrl(), listening: () => listening });
      await app.listen({ port: settings.listen.http.port, host });
      ports.http = (app.server.address() as { port: number }).port;
      listening.unshift(`${hostFor(host)}:${ports.http}`);
      apps.push(app);
    }
  } catch (err) {
    await Promise.all(apps.map((a) => a.close()));
    web.close();
    throw err;
  }
  const purge = setInterval(() => {
    try {
      deps.web.purgeSessions(Date.now(), settings.http.sessionIdleMinutes * 60_000);
    } catch (err) {
      log.warn({ event: 'http.sessions.purge-failed', err });
    }
  }, PURGE_EVERY_MS);
  purge.unref();
  log.info({ event: 'http.listening', listening });

  return {
    name: 'http',
    listening,
    ports,
    async close() {
      clearInterval(purge);
      // Stops accepting; requests in flight finish (they are short), bounded by the drain
      // time (docs/switchover.md), after which the connections still open are cut.
      const closed = Promise.all(apps.map((a) => a.close()));
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([closed, new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), settings.limits.drainTimeoutSeconds * 1000); })]);
      clearTimeout(timer);
      if (late === 'late') {
        log.info({ event: 'http.drain.done', cut: true }, 'drain time over: open requests cut');
        for (const a of apps) a.server.closeAllConnections();
        await closed;
      }
      await mailbox.close();
      web.close();
      log.info({ event: 'http.closed' });
    },
  };
}
