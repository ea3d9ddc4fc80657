// The volume's settings file, cfg/mail.yaml (the seed's servers.txt): host name,
// listeners, limits, relay networks, TLS files, queue and delivery policy.
// Validation errors name the bad field, e.g. "listen.smtp.port: expected a number".
import { z } from 'zod';
import { isIP } from 'node:net';
import { parseCidr } from '../../lib/cidr.ts';
import { isValidDomain } from './address.ts';

const port = z.number().int().min(0).max(65535);

const listener = z.object({
  /** Port to listen on; 0 means "pick any" (tests), null disables the listener. */
  port: port.nullable(),
}).strict();

const cidrList = z.array(z.string()).superRefine((list, ctx) => {
  list.forEach((text, i) => {
    try {
      parseCidr(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: [i], message: (err as Error).message });
    }
  });
});

/** One cron job: a 5-field cron schedule (UTC) and whether it runs. */
function cronJob(schedule: string) {
  return z.object({
    schedule: z.string().refine(isCronSchedule, 'must be a cron schedule of 5 fields, e.g. "30 3 * * *"').default(schedule),
    enabled: z.boolean().default(true),
  }).strict().default({ schedule, enabled: true });
}

/** A cheap syntactic check; croner validates fully when the cron service starts. */
function isCronSchedule(text: string): boolean {
  return /^\S+( \S+){4}$/.test(text.trim()) && /^[\d*/,\- A-Za-z?LW#]+$/.test(text);
}

const CRON_JOB_DEFAULTS = {
  queueSweep: { schedule: '*/15 * * * *', enabled: true },
  expireTrash: { schedule: '30 3 * * *', enabled: true },
  quotaWarnings: { schedule: '0 * * * *', enabled: true },
  deliveryReport: { schedule: '0 6 * * *', enabled: true },
  indexMaintenance: { schedule: '15 4 * * *', enabled: true },
  accountsSnapshot: { schedule: '0 2 * * *', enabled: true },
};

export const settingsSchema = z.object({
  /** Schema version of this file; migrations upgrade older files. */
  version: z.literal(1),
  /** The official mail host name (the VIP's name, S6): HELO, Received, Message-ID, DSNs. */
  hostname: z.string().trim().toLowerCase().refine(isValidDomain, 'must be a valid host name'),
  /** The domain used for postmaster and for bounces when no other applies. */
  primaryDomain: z.string().trim().toLowerCase().refine(isValidDomain, 'must be a valid domain name'),
  listen: z.object({
    /** Address every listener binds to: the VIP in a cluster (S14). */
    address: z.string().refine((a) => isIP(a) !== 0, 'must be an IP address (the VIP in a cluster; 0.0.0.0 for all)').default('0.0.0.0'),
    smtp: listener.default({ port: 25 }),
    submission: listener.default({ port: 587 }),
    submissions: listener.default({ port: 465 }),
    pop3: listener.default({ port: 110 }),
    pop3s: listener.default({ port: 995 }),
    imap: listener.default({ port: 143 }),
    imaps: listener.default({ port: 993 }),
    /** Webmail and the admin console and API (issue 6). */
    http: listener.default({ port: 80 }),
    https: listener.default({ port: 443 }),
    /** The LDAP address book (issue 7). */
    ldap: listener.default({ port: 389 }),
    ldaps: listener.default({ port: 636 }),
    /** The poppassd password-change service (issue 7). */
    password: listener.default({ port: 106 }),
  }).strict().default({ address: '0.0.0.0', smtp: { port: 25 }, submission: { port: 587 }, submissions: { port: 465 }, pop3: { port: 110 }, pop3s: { port: 995 }, imap: { port: 143 }, imaps: { port: 993 }, http: { port: 80 }, https: { port: 443 }, ldap: { port: 389 }, ldaps: { port: 636 }, password: { port: 106 } }),
  tls: z.object({
    /** PEM files, relative to the volume's cfg/ directory or absolute. */
    cert: z.string().default('tls/cert.pem'),
    key: z.string().default('tls/key.pem'),
  }).strict().default({ cert: 'tls/cert.pem', key: 'tls/key.pem' }),
  auth: z.object({
    /** Allow AUTH and USER/PASS without TLS on loopback connections (tests, the demo). */
    allowPlaintextOnLoopback: z.boolean().default(false),
    /** Failed logins allowed per client IP and per user within the window before throttling. */
    maxFailuresPerIp: z.number().int().min(1).default(10),
    maxFailuresPerUser: z.number().int().min(1).default(5),
    failureWindowSeconds: z.number().int().min(1).default(300),
  }).strict().default({ allowPlaintextOnLoopback: false, maxFailuresPerIp: 10, maxFailuresPerUser: 5, failureWindowSeconds: 300 }),
  relay: z.object({
    /** Networks allowed to relay without authentication. Loopback is NOT implied. */
    networks: cidrList.default([]),
    /** Send all remote mail through this host instead of MX lookup. */
    smarthost: z.object({
      host: z.string().min(1),
      port: port.default(587),
      /** true: implicit TLS; false: STARTTLS when offered. */
      secure: z.boolean().default(false),
      requireTls: z.boolean().default(true),
      user: z.string().optional(),
      /** File (relative to cfg/ or absolute) holding the smarthost password. */
      passwordFile: z.string().optional(),
    }).strict().nullable().default(null),
  }).strict().default({ networks: [], smarthost: null }),
  limits: z.object({
    messageSizeBytes: z.number().int().min(1024).default(25 * 1024 * 1024),
    recipientsPerMessage: z.number().int().min(1).default(100),
    connectionsPerIp: z.number().int().min(1).default(20),
    maxConnections: z.number().int().min(1).default(1000),
    lineLengthBytes: z.number().int().min(512).default(4096),
    idleTimeoutSeconds: z.number().int().min(1).default(300),
    /** POP3's autologout timer: RFC 1939 section 3 asks for at least 10 minutes. */
    pop3IdleTimeoutSeconds: z.number().int().min(1).default(600),
    /** Time allowed for one whole SMTP DATA transfer. */
    dataTimeoutSeconds: z.number().int().min(1).default(600),
    /**
     * How long a stopping service (SIGTERM: a planned move, a restart) drains: SMTP
     * transactions and IMAP/POP3 commands in flight finish, new clients are told to retry
     * (docs/switchover.md). Keep the cluster's timeouts.stop above twice this.
     */
    drainTimeoutSeconds: z.number().int().min(0).max(600).default(5),
  }).strict().default({ messageSizeBytes: 25 * 1024 * 1024, recipientsPerMessage: 100, connectionsPerIp: 20, maxConnections: 1000, lineLengthBytes: 4096, idleTimeoutSeconds: 300, pop3IdleTimeoutSeconds: 600, dataTimeoutSeconds: 600, drainTimeoutSeconds: 5 }),
  /** The IMAP service (issue 3): timers and the bounds on what one command may hold. */
  imap: z.object({
    /** Autologout of a session that sends nothing: RFC 9051 section 5.4 asks for at least 30 minutes. */
    autologoutSeconds: z.number().int().min(1).default(1800),
    /** How long one IDLE may last before the server ends the session (clients re-IDLE every 29 minutes, RFC 2177). */
    idleTimeoutSeconds: z.number().int().min(1).default(3600),
    /** Longest command line (without literals); UID sets of big mailboxes make long lines. */
    maxLineBytes: z.number().int().min(1024).default(65536),
    /** Literals up to this size are kept in memory; bigger ones (APPEND) are streamed to a temp file. */
    inlineLiteralBytes: z.number().int().min(1024).default(65536),
    /** Lines plus in-memory literals of one command. */
    maxCommandBytes: z.number().int().min(4096).default(1024 * 1024),
  }).strict().default({ autologoutSeconds: 1800, idleTimeoutSeconds: 3600, maxLineBytes: 65536, inlineLiteralBytes: 65536, maxCommandBytes: 1024 * 1024 }),
  delivery: z.object({
    /** What a full mailbox means for the sender: "tempfail" (452, retried) or "reject" (552). */
    quotaExceeded: z.enum(['tempfail', 'reject']).default('tempfail'),
    /** Received headers allowed before a message is treated as looping (554 5.4.6). */
    maxHops: z.number().int().min(5).default(50),
    /** Quota for new users, in bytes; 0 means unlimited. */
    defaultQuotaBytes: z.number().int().min(0).default(0),
  }).strict().default({ quotaExceeded: 'tempfail', maxHops: 50, defaultQuotaBytes: 0 }),
  queue: z.object({
    /** How long remote delivery is retried before the message bounces (default 5 days). */
    maxAgeSeconds: z.number().int().min(60).default(5 * 24 * 3600),
    /** Delays between attempts, in seconds; the last one repeats. */
    retrySchedule: z.array(z.number().int().min(1)).min(1).default([60, 300, 900, 1800, 3600, 7200, 14400]),
    /** Parallel outbound deliveries. */
    concurrency: z.number().int().min(1).max(200).default(10),
    /** Local address outbound connections leave from (the VIP in a cluster). */
    sourceAddress: z.string().refine((a) => isIP(a) !== 0, 'must be an IP address').nullable().default(null),
    /** Timeouts for one outbound SMTP conversation. */
    connectTimeoutSeconds: z.number().int().min(1).default(30),
    /** Only for tests and labs: deliver to this port instead of 25. */
    remotePort: port.default(25),
  }).strict().default({ maxAgeSeconds: 5 * 24 * 3600, retrySchedule: [60, 300, 900, 1800, 3600, 7200, 14400], concurrency: 10, sourceAddress: null, connectTimeoutSeconds: 30, remotePort: 25 }),
  http: z.object({
    /** A webmail or console session ends after this long without a request. */
    sessionIdleMinutes: z.number().int().min(1).max(24 * 60).default(30),
    /** And after this long in any case (the user logs in again). */
    sessionMaxHours: z.number().int().min(1).max(24 * 30).default(12),
    /** Messages per page in the webmail's message list. */
    pageSize: z.number().int().min(10).max(500).default(50),
    /** Where the services write their logs (`tandem mail serve all --log-dir DIR`); the console's mail log reads DIR/SERVICE.log. null: no mail log page. */
    logDir: z.string().min(1).nullable().default(null),
  }).strict().default({ sessionIdleMinutes: 30, sessionMaxHours: 12, pageSize: 50, logDir: null }),
  /** The LDAP address book (docs/ldap.md). */
  ldap: z.object({
    /** Allow searches without a bind (anonymous); false: only logged-in mail users may search. */
    allowAnonymous: z.boolean().default(false),
    /** Most entries one search returns; a client may ask for fewer, never more (sizeLimitExceeded, 4). */
    sizeLimit: z.number().int().min(1).max(100_000).default(500),
    /** Longest one search may run, in seconds; a client may ask for less (timeLimitExceeded, 3). */
    timeLimitSeconds: z.number().int().min(1).max(3600).default(10),
  }).strict().default({ allowAnonymous: false, sizeLimit: 500, timeLimitSeconds: 10 }),
  /** The poppassd password-change service (docs/password.md). */
  password: z.object({
    /** Shortest new password accepted (also by the webmail, through the same policy). */
    minLength: z.number().int().min(6).max(256).default(10),
    /** true: the listener speaks TLS from the first byte (clients that can: Roundcube with "ssl://host"). */
    implicitTls: z.boolean().default(false),
    /** On a cleartext listener, the client networks allowed to use it; everyone else is refused. */
    plaintextNetworks: cidrList.default(['127.0.0.0/8', '::1/128']),
    /** Bind the password listener to this address instead of listen.address (e.g. 127.0.0.1 or the VIP). */
    bindAddress: z.string().refine((a) => isIP(a) !== 0, 'must be an IP address').nullable().default(null),
  }).strict().default({ minLength: 10, implicitTls: false, plaintextNetworks: ['127.0.0.0/8', '::1/128'], bindAddress: null }),
  /** Scheduled jobs of the cron service (docs/cron.md). */
  cron: z.object({
    jobs: z.object({
      queueSweep: cronJob('*/15 * * * *'),
      expireTrash: cronJob('30 3 * * *'),
      quotaWarnings: cronJob('0 * * * *'),
      deliveryReport: cronJob('0 6 * * *'),
      indexMaintenance: cronJob('15 4 * * *'),
      accountsSnapshot: cronJob('0 2 * * *'),
    }).strict().default(CRON_JOB_DEFAULTS),
    /** Messages in Trash and Junk older than this many days are expunged; 0 keeps them forever. */
    trashDays: z.number().int().min(0).default(30),
    junkDays: z.number().int().min(0).default(30),
    /** Usage percentages at which a user gets one warning message (until usage drops below again). */
    quotaWarningPercents: z.array(z.number().int().min(1).max(100)).max(5).default([80, 90]),
    /** Accounts database snapshots kept in db/snapshots/. */
    snapshotsKeep: z.number().int().min(1).max(365).default(7),
  }).strict().default({ jobs: CRON_JOB_DEFAULTS, trashDays: 30, junkDays: 30, quotaWarningPercents: [80, 90], snapshotsKeep: 7 }),
  /** Central account management (S7, docs/replication.md): who owns the accounts. */
  accounts: z.object({
    /** standalone: accounts are edited here; master: edited here and served to slaves; slave: followed from the master. */
    role: z.enum(['standalone', 'master', 'slave']).default('standalone'),
    /** This mail system's name among the members: the `home` of the users whose mailboxes are here. */
    system: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1-63 lower-case letters, digits or -').default('main'),
    /** Master: the feed's HTTPS listener (bound to listen.address, the VIP in a cluster); null: no feed. */
    feedPort: port.nullable().default(8443),
    /** Master: client addresses allowed to follow the feed (the slaves' VIPs), besides a valid token. */
    accessNet: cidrList.default([]),
    /** Slave: where the master's feed is and how to trust it. */
    master: z.object({
      /** e.g. https://mail.example.com:8443 (the master's VIP host name). */
      url: z.string().url().refine((u) => u.startsWith('https://'), 'must be an https:// URL'),
      /** File (relative to cfg/ or absolute) holding the token from `tandem mail replication token create`. */
      tokenFile: z.string().min(1),
      /** SHA-256 fingerprint of the master's certificate (hex, colons allowed); without it the system CAs must trust it. */
      fingerprint: z.string().regex(/^([0-9a-fA-F]{2}:?){31}[0-9a-fA-F]{2}$/, 'must be a SHA-256 fingerprint (64 hex digits)').nullable().default(null),
      /** Seconds the master may hold a request open waiting for changes (long poll). */
      waitSeconds: z.number().int().min(1).max(300).default(25),
    }).strict().nullable().default(null),
    /** Other member systems by name: where mail for their users is sent (their MX host and port). */
    members: z.record(z.string(), z.object({ host: z.string().min(1), port: port.default(25) }).strict()).default({}),
  }).strict().superRefine((a, ctx) => {
    if (a.role === 'slave' && a.master === null) ctx.addIssue({ code: 'custom', path: ['master'], message: 'a slave needs master: { url, tokenFile }' });
    if (a.role !== 'slave' && a.master !== null) ctx.addIssue({ code: 'custom', path: ['master'], message: 'only a slave follows a master (set role: slave or remove master)' });
    if (a.system in a.members) ctx.addIssue({ code: 'custom', path: ['members', a.system], message: 'this system itself must not be listed among the other members' });
  }).default({ role: 'standalone', system: 'main', feedPort: 8443, accessNet: [], master: null, members: {} }),
}).strict();

export type Settings = z.infer<typeof settingsSchema>;
export type SettingsInput = z.input<typeof settingsSchema>;

/** A settings file that failed validation; `problems` name each bad field. */
export class SettingsError extends Error {
  constructor(readonly file: string, readonly problems: string[]) {
    super(`${file}: invalid settings:\n  ${problems.join('\n  ')}`);
    this.name = 'SettingsError';
  }
}

/** Validates parsed YAML. Returns the settings with defaults filled in, or throws SettingsError. */
export function validateSettings(raw: unknown, file = 'mail.yaml'): Settings {
  const result = settingsSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    return `${path}: ${issue.message}`;
  });
  throw new SettingsError(file, problems);
}
