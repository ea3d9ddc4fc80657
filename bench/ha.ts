// `npm run bench:ha`: the client-visible outage of the mail group in the multi-host lab
// (test/netns/mail-lab.ts: node daemons in network namespaces, a real VIP with gratuitous
// ARP, the real smtp/pop3/imap services on a shared volume, a client namespace), for each
// fault and each arbiter:
//   SIGKILL  the active node's daemon and mail services are killed (its guard fences);
//   SIGSTOP  they are paused (the guard fences at the lease deadline), resumed afterwards;
//   link     the active node's cable is pulled (switch port down), put back afterwards;
//   move     a planned `tandem group move mail --to OTHER`.
// A probe in the client namespace (bench/_ha-probe.ts) starts a full SMTP transaction to
// VIP:25 every --probe-ms; a 250 after DATA counts as served. Per run:
//   outage = from the fault (or the move command) to the end of the first served transaction
//            that the new node served: one that started once the new node's `vip` resource
//            reported the address up (until then the old node may still answer: a killed
//            daemon's services until its guard fences them, a move's drain);
//   gap    = from the end of the last transaction the old node served to that same end.
// Each run also reads, from the new holder's event log, when it got the lease, when the VIP
// was up and when smtp was ready, so the table shows where the time goes.
// Median and worst over --runs per fault and arbiter; at the end every acknowledged
// message must be in the mailbox (read over IMAP from the client namespace): "lost" must be 0.
// Heartbeat and lease timing are the cluster configuration's defaults, read from the schema
// (so the figures follow the defaults), unless --heartbeat-ms/--heartbeat-timeout-ms/--lease-ms.
//
// Needs root, `ip netns`, arping, and etcd for the etcd arbiter (skipped with the reason).
// Options: --runs N (10), --arbiters disk,etcd, --faults SIGKILL,SIGSTOP,link,move,
// --nodes N (2), --probe-ms MS (50), --services separate|supervised (separate: one `service`
// resource per mail service, started one after the other, as examples/mail-cluster has them;
// supervised: one resource running `tandem mail serve smtp pop3 imap`, which starts the three
// at once), --json (one JSON line with every measurement at the end).
import { parseArgs } from 'node:util';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMailLab, mailLabSkipReason, VIP, DOMAIN, USER, SERVICE_PORTS, type ArbiterKind, type MailLab } from '../test/netns/mail-lab.ts';
import { parseClusterConfig } from '../src/cluster/model/config.ts';
import { now, type ProbeEvent, type ProbeRequest } from './_ha-probe.ts';

const FAULTS = ['SIGKILL', 'SIGSTOP', 'link', 'move'] as const;
type Fault = typeof FAULTS[number];
const PROBE = fileURLToPath(new URL('./_ha-probe.ts', import.meta.url));
const REPO = fileURLToPath(new URL('..', import.meta.url));
/** A fault the cluster has not recovered from by then counts as "no recovery". */
const RECOVERY_LIMIT_MS = 60_000;

const { values } = parseArgs({ options: {
  runs: { type: 'string', default: '10' },
  arbiters: { type: 'string', default: 'disk,etcd' },
  faults: { type: 'string', default: FAULTS.join(',') },
  nodes: { type: 'string', default: '2' },
  'probe-ms': { type: 'string', default: '50' },
  services: { type: 'string', default: 'separate' },
  'heartbeat-ms': { type: 'string' },
  'heartbeat-timeout-ms': { type: 'string' },
  'lease-ms': { type: 'string' },
  json: { type: 'boolean', default: false },
} });

function positive(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive whole number (got ${JSON.stringify(v)})`);
  return n;
}
const runs = positive('runs', values.runs)!;
const nodes = positive('nodes', values.nodes)!;
const probeMs = positive('probe-ms', values['probe-ms'])!;
const arbiters = values.arbiters.split(',').map((a) => a.trim()).filter(Boolean);
const faults = values.faults.split(',').map((f) => f.trim()).filter(Boolean);
for (const a of arbiters) if (a !== 'disk' && a !== 'etcd') throw new Error(`--arbiters: unknown arbiter ${a} (disk, etcd)`);
for (const f of faults) if (!(FAULTS as readonly string[]).includes(f)) throw new Error(`--faults: unknown fault ${f} (${FAULTS.join(', ')})`);
if (nodes < 2 || nodes > 4) throw new Error('--nodes: 2 to 4');
if (values.services !== 'separate' && values.services !== 'supervised') throw new Error(`--services: separate or supervised (got ${values.services})`);
const services = values.services;
/** The resource that runs smtp: its own (`separate`, as examples/mail-cluster has it) or the lab's one supervisor. */
const SMTP_RESOURCE = services === 'separate' ? 'smtp' : 'mail';

/** The configuration's defaults for heartbeat and lease timing, from the schema itself. */
function defaultTiming(): { interval: number; timeout: number; leaseTtl: number; margin: number } {
  const r = parseClusterConfig(['version: 1', 'cluster: { name: d, secret: defaults-0123456789abcdef }',
    'nodes: [{ name: a, addresses: [198.18.0.1] }]', 'arbiter: { type: etcd, endpoints: [http://198.18.0.11:2379] }'].join('\n'));
  if (!r.ok) throw new Error(`cannot read the configuration defaults: ${r.errors.join('; ')}`);
  return { interval: r.config.heartbeat.interval, timeout: r.config.heartbeat.timeout, leaseTtl: r.config.arbiter.leaseTtl, margin: r.config.arbiter.margin };
}
const defaults = defaultTiming();
const timing = {
  heartbeatMs: positive('heartbeat-ms', values['heartbeat-ms']) ?? defaults.interval,
  heartbeatTimeoutMs: positive('heartbeat-timeout-ms', values['heartbeat-timeout-ms']) ?? defaults.timeout,
  leaseTtlMs: positive('lease-ms', values['lease-ms']) ?? defaults.leaseTtl,
};

interface Probe {
  readonly events: ProbeEvent[];
  /** Why the probe process ended before stop(), or null while it runs. */
  died(): string | null;
  stop(): Promise<void>;
}

/** Starts the probe in the client namespace; its events arrive in `events` as they happen. */
function startProbe(lab: MailLab, runId: string): Probe {
  const req: ProbeRequest = {
    host: VIP, port: SERVICE_PORTS.smtp, from: `probe@client.${DOMAIN}`, to: USER.address, runId, idDomain: `client.${DOMAIN}`,
    intervalMs: probeMs, attemptTimeoutMs: 3_000, maxInFlight: 64,
  };
  const ns = lab.lab.nodes.client!.ns;
  const proc: ChildProcess = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', PROBE, JSON.stringify(req)], { stdio: ['pipe', 'pipe', 'pipe'], cwd: REPO });
  const events: ProbeEvent[] = [];
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-5_000); });
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    try { events.push(JSON.parse(line) as ProbeEvent); } catch { /* not ours */ }
  });
  let stopping = false;
  let death: string | null = null;
  const exited = new Promise<void>((resolve) => proc.once('exit', (code, sig) => {
    if (!stopping) death = `the probe exited (${sig ?? code}): ${stderr.trim().slice(-2_000)}`;
    resolve();
  }));
  return {
    events,
    died: () => death,
    async stop() {
      stopping = true;
      proc.stdin!.end();
      await Promise.race([exited, sleep(15_000, undefined, { ref: false })]);
      if (proc.exitCode === null && proc.signalCode === null && proc.pid) { proc.kill('SIGKILL'); await exited; }
    },
  };
}

type Ok = Extract<ProbeEvent, { ev: 'ok' }>;
const oks = (p: Probe): Ok[] => p.events.filter((e): e is Ok => e.ev === 'ok');

/** Waits (bounded) for the first served transaction that started at or after `t0`. */
async function firstServedAfter(p: Probe, t0: number, limitMs: number): Promise<Ok | null> {
  const until = Date.now() + limitMs;
  for (;;) {
    const hit = oks(p).filter((e) => e.start >= t0).sort((a, b) => a.end - b.end)[0];
    if (hit) return hit;
    const died = p.died();
    if (died) throw new Error(died);
    if (Date.now() > until) return null;
    await sleep(20);
  }
}

interface StatusNode { name: string; reachable: boolean; configHashMatches: boolean; stopped: boolean; failingMonitors: string[] }
interface StatusJson { node: string; nodes: StatusNode[]; groups: Array<{ name: string; holder: string | null; resources: Record<string, Record<string, string>> }> }

async function status(lab: MailLab, node: string): Promise<StatusJson | null> {
  const r = await lab.tandem(node, ['status', '--json', '--node', node], { timeoutMs: 15_000 });
  try { return r.code === 0 ? JSON.parse(r.stdout) as StatusJson : null; } catch { return null; }
}

/**
 * Waits until the cluster is back to normal before the next fault: the group serves on one
 * node, every node sees every other as reachable, eligible (same config, cluster service
 * running, no failing node monitor), and every standby has every resource stopped; and the
 * probe has been served again. Returns the active node.
 */
async function settle(lab: MailLab, probe: Probe): Promise<string> {
  const until = Date.now() + 180_000;
  let last = '';
  while (Date.now() < until) {
    const active = await lab.waitServing({ timeoutMs: Math.max(1_000, until - Date.now()) });
    const views = await Promise.all(lab.nodeNames.map((n) => status(lab, n)));
    const problems: string[] = [];
    views.forEach((v, i) => {
      const me = lab.nodeNames[i]!;
      if (!v) { problems.push(`${me}: no status`); return; }
      for (const n of v.nodes) {
        if (!n.reachable && n.name !== me) problems.push(`${me} sees ${n.name} unreachable`);
        if (!n.configHashMatches || n.stopped || n.failingMonitors.length > 0) problems.push(`${me} sees ${n.name} not eligible`);
      }
      const g = v.groups.find((x) => x.name === 'mail');
      if (g?.holder !== active) problems.push(`${me} sees holder ${g?.holder ?? 'none'}`);
      for (const standby of lab.nodeNames.filter((n) => n !== active)) {
        const states = Object.values(g?.resources[standby] ?? {});
        if (states.length === 0 || states.some((s) => s !== 'stopped')) problems.push(`${me} sees ${standby}'s resources ${states.join(',') || 'unknown'}`);
      }
    });
    if (problems.length === 0) {
      const t = now();
      if (await firstServedAfter(probe, t, 10_000)) return active;
      problems.push('the probe is not served');
    }
    last = problems.join('; ');
    await sleep(500);
  }
  throw new Error(`the cluster did not settle within 180 s: ${last}`);
}

interface Measurement {
  arbiter: ArbiterKind; fault: Fault; run: number; from: string; to: string | null;
  outageMs: number | null; gapMs: number | null; failedAttempts: number;
  /** Where the outage went, from the new holder's event log (ms after the fault): lease granted, VIP up, smtp ready. */
  leaseMs: number | null; vipMs: number | null; smtpMs: number | null;
}

interface LoggedEvent { at: string; kind: string; message: string; resource?: string; group?: string }

/** A node's event log (STATE/events.jsonl), oldest first; empty when unreadable. */
function eventsOf(lab: MailLab, node: string): LoggedEvent[] {
  let text: string;
  try { text = readFileSync(join(lab.dir, 'state', node, 'events.jsonl'), 'utf8'); } catch { return []; }
  const out: LoggedEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try { out.push(JSON.parse(line) as LoggedEvent); } catch { /* a line being written */ }
  }
  return out;
}

/** Wall-clock time of the first event after t0 in `node`'s log that matches, or null. */
function firstEvent(lab: MailLab, node: string, t0: number, pred: (e: LoggedEvent) => boolean): number | null {
  for (const e of eventsOf(lab, node)) {
    const t = Date.parse(e.at);
    if (t >= Math.floor(t0) && pred(e)) return t;
  }
  return null;
}

/** A resource came up: a start, or a restart after a failed start. */
const up = (e: LoggedEvent): boolean => e.kind === 'resource.started' || e.kind === 'resource.restarted';

/** Times (ms after t0) of the first lease grant and vip/smtp starts in `node`'s event log after t0. */
function milestones(lab: MailLab, node: string | null, t0: number): { leaseMs: number | null; vipMs: number | null; smtpMs: number | null } {
  const rel = (t: number | null): number | null => (t === null ? null : Math.round(t - t0));
  if (!node) return { leaseMs: null, vipMs: null, smtpMs: null };
  return {
    leaseMs: rel(firstEvent(lab, node, t0, (e) => e.kind === 'lease.acquired' && e.group === 'mail')),
    vipMs: rel(firstEvent(lab, node, t0, (e) => up(e) && e.resource === 'vip')),
    smtpMs: rel(firstEvent(lab, node, t0, (e) => up(e) && e.resource === SMTP_RESOURCE)),
  };
}

/**
 * The node that took the group over and the moment from which every transaction went to
 * it: when its `vip` resource reported the address up. The old node may still serve after
 * the fault (a killed daemon's services until its guard fences them, a move's drain), but
 * not once another node holds the VIP: that node's duplicate-address probe found nobody
 * answering for it. Null when no other node got the VIP within the limit.
 */
async function takeover(lab: MailLab, old: string, t0: number): Promise<{ node: string; vipUpAt: number } | null> {
  const until = Date.now() + RECOVERY_LIMIT_MS;
  for (;;) {
    const node = (await lab.vipHolders()).find((n) => n !== old);
    const at = node ? firstEvent(lab, node, t0, (e) => up(e) && e.resource === 'vip') : null;
    if (node && at !== null) return { node, vipUpAt: at };
    if (Date.now() > until) return null;
    await sleep(100);
  }
}

/** What each node saw, for a fault the cluster did not recover from. */
async function diagnose(lab: MailLab, t0: number): Promise<string> {
  const parts: string[] = [`VIP on [${(await lab.vipHolders()).join(', ')}]`];
  for (const n of lab.nodeNames) {
    const st = await status(lab, n);
    const g = st?.groups.find((x) => x.name === 'mail');
    parts.push(`--- ${n}: ${st ? `holder ${g?.holder ?? 'none'}, resources ${JSON.stringify(g?.resources ?? {})}` : 'no status'}`);
    for (const e of eventsOf(lab, n).filter((x) => Date.parse(x.at) >= t0 && x.kind !== 'script.output').slice(-25)) parts.push(`  ${e.at} ${e.kind} ${e.message.slice(0, 300)}`);
  }
  return parts.join('\n');
}

async function inject(lab: MailLab, fault: Fault, active: string, target: string): Promise<void> {
  switch (fault) {
    case 'SIGKILL': await lab.killNode(active); break;
    case 'SIGSTOP': await lab.pauseNode(active); break;
    case 'link': await lab.cutLink(active, 'carrier'); break;
    case 'move': {
      const r = await lab.move(target);
      if (r.code !== 0) throw new Error(`tandem group move mail --to ${target} failed: ${r.output.join(' / ')}`);
      break;
    }
  }
}

async function repair(lab: MailLab, fault: Fault, failed: string): Promise<void> {
  switch (fault) {
    case 'SIGKILL': await lab.startNode(failed); break;
    case 'SIGSTOP': await lab.resumeNode(failed); break;
    case 'link': await lab.healLink(failed); break;
    case 'move': break;
  }
}

interface ProbeStats { served: number; failed: number; medianTransactionMs: number | null }

/** How finely the probe saw the service: how many transactions it got served, how long each took. */
function probeStats(p: Probe): ProbeStats {
  const served = oks(p);
  const d = served.map((e) => e.end - e.start).sort((a, b) => a - b);
  return { served: served.length, failed: p.events.filter((e) => e.ev === 'fail').length, medianTransactionMs: d.length ? Math.round(d[d.length >> 1]!) : null };
}

async function benchArbiter(arbiter: ArbiterKind): Promise<{ measurements: Measurement[]; acked: number; lost: string[]; readBy: string; probe: ProbeStats }> {
  const lab = await createMailLab({ nodes, arbiter, services, ...timing });
  const measurements: Measurement[] = [];
  let probe: Probe | null = null;
  try {
    await lab.startAll();
    await lab.waitServing();
    probe = startProbe(lab, `ha-${arbiter}-${Date.now().toString(36)}`);
    for (let run = 1; run <= runs; run++) {
      for (const fault of faults as Fault[]) {
        const active = await settle(lab, probe);
        const target = lab.nodeNames.find((n) => n !== active)!;
        const before = oks(probe).filter((e) => e.end <= now()).sort((a, b) => b.end - a.end)[0];
        const t0 = now();
        await inject(lab, fault, active, target);
        // Faults that leave the node broken are repaired once the group serves elsewhere, so
        // the repair never shortens the outage.
        const took = await takeover(lab, active, t0);
        const h = took ? Math.max(t0, took.vipUpAt) : t0;
        const first = took ? await firstServedAfter(probe, h, RECOVERY_LIMIT_MS) : null;
        const to = took?.node ?? null;
        if (!first) process.stderr.write(`${arbiter} ${fault} run ${run}: no transaction served within ${RECOVERY_LIMIT_MS} ms of the fault on ${active}:\n${await diagnose(lab, t0)}\n`);
        await repair(lab, fault, active);
        const failedAttempts = probe.events.filter((e) => e.ev === 'fail' && e.start >= t0 && (!first || e.start < first.start)).length;
        // The last transaction the old node served: before the fault, or after it (a draining
        // or not yet fenced service) but started before the new node had the VIP.
        const lastOld = oks(probe).filter((e) => e.start < h && (!first || e.end <= first.end)).sort((a, b) => b.end - a.end)[0] ?? before;
        const m: Measurement = {
          arbiter, fault, run, from: active, to,
          outageMs: first ? Math.round(first.end - t0) : null,
          gapMs: first && lastOld ? Math.round(first.end - lastOld.end) : null,
          failedAttempts,
          ...milestones(lab, to, t0),
        };
        measurements.push(m);
        process.stderr.write(`${arbiter} ${fault} run ${run}: ${active} -> ${to ?? '?'}: outage ${m.outageMs ?? 'none within 60 s'} ms, gap ${m.gapMs ?? '-'} ms, ${failedAttempts} failed attempts; lease at ${m.leaseMs ?? '-'} ms, vip up ${m.vipMs ?? '-'} ms, smtp ready ${m.smtpMs ?? '-'} ms\n`);
      }
    }
    await settle(lab, probe);
    await probe.stop();
    const acked = oks(probe).map((e) => e.id);
    let present: Set<string>;
    let readBy = 'imap';
    try {
      present = new Set(await lab.readMailbox('imap'));
    } catch (err) {
      readBy = `pop3 (imap failed: ${(err as Error).message})`;
      present = new Set(await lab.readMailbox('pop3'));
    }
    return { measurements, acked: acked.length, lost: acked.filter((id) => !present.has(id)), readBy, probe: probeStats(probe) };
  } finally {
    await probe?.stop().catch(() => undefined);
    await lab.destroy();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2);
}

async function main(): Promise<void> {
  const all: Measurement[] = [];
  const losses: Array<{ arbiter: string; acked: number; lost: number; readBy: string; lostIds: string[]; probe: ProbeStats }> = [];
  const skipped: string[] = [];
  process.stderr.write(`bench:ha: ${nodes} nodes, ${runs} runs of ${faults.join(', ')}, arbiters ${arbiters.join(', ')}, mail services ${services}; heartbeat ${timing.heartbeatMs} ms, timeout ${timing.heartbeatTimeoutMs} ms, lease ${timing.leaseTtlMs} ms (margin: the default, lease/6); probe every ${probeMs} ms\n`);
  for (const arbiter of arbiters as ArbiterKind[]) {
    const skip = mailLabSkipReason(arbiter);
    if (skip) { skipped.push(`${arbiter}: ${skip}`); process.stderr.write(`${skip}\n`); continue; }
    const r = await benchArbiter(arbiter);
    all.push(...r.measurements);
    losses.push({ arbiter, acked: r.acked, lost: r.lost.length, readBy: r.readBy, lostIds: r.lost.slice(0, 20), probe: r.probe });
  }

  const rows: string[] = ['| arbiter | fault | runs | outage median | outage worst | gap median | gap worst | no recovery in 60 s | median lease / vip up / smtp ready |', '|---|---|---|---|---|---|---|---|---|'];
  for (const arbiter of arbiters) {
    for (const fault of faults) {
      const ms = all.filter((m) => m.arbiter === arbiter && m.fault === fault);
      if (ms.length === 0) continue;
      const out = ms.map((m) => m.outageMs).filter((x): x is number => x !== null);
      const gap = ms.map((m) => m.gapMs).filter((x): x is number => x !== null);
      const f = (xs: number[], g: (v: number[]) => number): string => (xs.length ? `${g(xs)} ms` : '-');
      const med = (k: 'leaseMs' | 'vipMs' | 'smtpMs'): string => {
        const xs = ms.map((m) => m[k]).filter((x): x is number => x !== null);
        return xs.length ? String(median(xs)) : '-';
      };
      rows.push(`| ${arbiter} | ${fault} | ${ms.length} | ${f(out, median)} | ${f(out, (v) => Math.max(...v))} | ${f(gap, median)} | ${f(gap, (v) => Math.max(...v))} | ${ms.length - out.length} | ${med('leaseMs')} / ${med('vipMs')} / ${med('smtpMs')} ms |`);
    }
  }
  const lossRows = losses.map((l) => `${l.arbiter}: ${l.acked} messages acknowledged, ${l.lost} lost (mailbox read over ${l.readBy})${l.lost ? `: ${l.lostIds.join(', ')}` : ''}; probe: ${l.probe.failed} attempts failed in all, a served transaction took ${l.probe.medianTransactionMs ?? '-'} ms (median)`);
  process.stdout.write(`${rows.join('\n')}\n\n${lossRows.join('\n')}\n${skipped.map((s) => `skipped ${s}`).join('\n')}${skipped.length ? '\n' : ''}`);
  if (values.json) process.stdout.write(`${JSON.stringify({ timing, probeMs, nodes, runs, services, measurements: all, losses, skipped })}\n`);
  if (losses.some((l) => l.lost > 0)) process.exitCode = 1;
}

main().catch((err: Error) => {
  process.stderr.write(`bench:ha failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
