// The mail services this build has, by name (S1: each runs as its own process).
// `tandem mail serve NAME` looks the name up here; `serve all` starts each in a child.
import type { MailContext, RunningService } from '../core/context.ts';

export type ServiceStarter = (ctx: MailContext) => Promise<RunningService>;

/** Loaders are lazy so one service's process does not load the others' code. */
export const SERVICES: Readonly<Record<string, () => Promise<ServiceStarter>>> = {
  smtp: async () => (await import('./smtp-process.ts')).startSmtpProcess,
  pop3: async () => (await import('../pop3/service.ts')).startPop3Service,
  http: async () => (await import('../http/service.ts')).startHttpService,
  imap: async () => (await import('../imap/service.ts')).startImapService,
  ldap: async () => (await import('../ldap/service.ts')).startLdapService,
  password: async () => (await import('../password/service.ts')).startPasswordService,
  cron: async () => (await import('../cron/service.ts')).startCronService,
  replication: async () => (await import('../replication/service.ts')).startReplicationService,
};

export function serviceNames(): string[] {
  return Object.keys(SERVICES);
}
