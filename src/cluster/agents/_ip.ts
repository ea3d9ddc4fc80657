// iproute2 and arping for the vip agent: list addresses (ip -j), add/delete one, ask the
// kernel whether an address is local (ip route get), duplicate address detection and
// gratuitous ARP with either arping on Debian (Thomas Habets' `arping` or iputils').
import { runCommand, describeRun, type RunResult } from './run-command.ts';
import { parseCidr, cidrContains } from '../../lib/cidr.ts';

export interface IfAddr {
  readonly family: 'inet' | 'inet6';
  readonly local: string;
  readonly prefixlen: number;
  readonly secondary?: boolean;
}
export interface IfInfo {
  readonly ifname: string;
  readonly flags: readonly string[];
  readonly operstate: string;
  readonly addr_info: readonly IfAddr[];
}

export class IpError extends Error {}

async function ip(args: string[], signal: AbortSignal, log?: (l: string) => void): Promise<RunResult> {
  return runCommand({ command: 'ip', args, signal, timeoutMs: 10_000, graceMs: 1_000, log });
}

/** Every interface with its addresses (`ip -j addr show`). */
export async function listInterfaces(signal: AbortSignal): Promise<IfInfo[]> {
  const r = await ip(['-j', 'addr', 'show'], signal);
  if (r.code !== 0) throw new IpError(describeRun('ip -j addr show', r));
  try {
    return JSON.parse(r.stdout) as IfInfo[];
  } catch {
    throw new IpError('ip -j addr show printed no JSON (iproute2 too old?)');
  }
}

/** The interface that carries `address`, or null. */
export function holderOf(ifs: readonly IfInfo[], address: string): IfInfo | null {
  return ifs.find((i) => i.addr_info.some((a) => a.local === address)) ?? null;
}

/** The first non-loopback interface with an address whose subnet contains `address`. */
export function interfaceForSubnet(ifs: readonly IfInfo[], address: string): IfInfo | null {
  for (const i of ifs) {
    if (i.flags.includes('LOOPBACK')) continue;
    for (const a of i.addr_info) {
      if (a.local === address) continue;
      if (cidrContains(parseCidr(`${a.local}/${a.prefixlen}`), address)) return i;
    }
  }
  return null;
}

/** Why the interface cannot carry traffic, or null when its link is up. */
export function linkProblem(i: IfInfo): string | null {
  if (!i.flags.includes('UP')) return `${i.ifname} is administratively down`;
  if (i.flags.includes('NO-CARRIER')) return `${i.ifname} has no carrier`;
  return null;
}

export async function addAddress(cidr: string, dev: string, signal: AbortSignal, log: (l: string) => void): Promise<string | null> {
  const r = await ip(['addr', 'add', cidr, 'dev', dev], signal, log);
  return r.code === 0 ? null : describeRun(`ip addr add ${cidr} dev ${dev}`, r);
}

export async function deleteAddress(cidr: string, dev: string, signal: AbortSignal, log: (l: string) => void): Promise<string | null> {
  const r = await ip(['addr', 'del', cidr, 'dev', dev], signal, log);
  return r.code === 0 ? null : describeRun(`ip addr del ${cidr} dev ${dev}`, r);
}

/** True when the kernel delivers packets for `address` locally (`ip route get` says type local). */
export async function isLocalAddress(address: string, signal: AbortSignal): Promise<boolean> {
  const r = await ip(['-j', 'route', 'get', address], signal);
  if (r.code !== 0) return false;
  try {
    const routes = JSON.parse(r.stdout) as Array<{ type?: string }>;
    return routes[0]?.type === 'local';
  } catch {
    return false;
  }
}

type Flavour = 'habets' | 'iputils';
let flavour: Promise<Flavour | null> | null = null;

/** Which arping is installed: the two take different flags and mean different things by exit codes. */
export function arpingFlavour(): Promise<Flavour | null> {
  flavour ??= runCommand({ command: 'arping', args: ['-V'], timeoutMs: 5_000 }).then((r) => {
    if (r.spawnError) return null;
    const text = r.output.join('\n');
    if (/iputils/i.test(text)) return 'iputils';
    if (/habets/i.test(text)) return 'habets';
    return null;
  });
  return flavour;
}

const MAC = /([0-9a-f]{2}(?::[0-9a-f]{2}){5})/i;

/**
 * Duplicate address detection (RFC 5227 probe: ARP with sender 0.0.0.0): null when nobody
 * answers for `address` on `dev`, else the answering MAC (or "unknown MAC").
 */
export async function whoAnswers(address: string, dev: string, signal: AbortSignal, log: (l: string) => void): Promise<{ answer: string | null } | { error: string }> {
  const f = await arpingFlavour();
  if (!f) return { error: 'arping is not installed (Debian: apt-get install arping)' };
  // habets: three probes 200 ms apart, done within 1 s (a live host answers in
  // microseconds; three probes cover a lost packet). It was 2 probes a second apart, 2.1 s
  // of every takeover. iputils keeps its 1 s interval (its -i is not in every version).
  const args = f === 'habets' ? ['-0', '-i', dev, '-c', '3', '-W', '0.2', '-w', '1', address] : ['-D', '-I', dev, '-c', '2', '-w', '3', address];
  const r = await runCommand({ command: 'arping', args, signal, timeoutMs: 10_000, graceMs: 1_000, log });
  if (r.spawnError || r.timedOut || r.aborted || r.code === null) return { error: describeRun('arping', r) };
  // habets: 0 = got replies; iputils -D: 0 = no replies (the address is free).
  const answered = f === 'habets' ? r.code === 0 : r.code === 1;
  // Both flavours exit 2 (or more) when they could not run at all (no such interface...).
  if (r.code > 1) return { error: describeRun('arping', r) };
  if (!answered) return { answer: null };
  const mac = r.output.map((l) => MAC.exec(l)?.[1]).find((m) => m !== undefined);
  return { answer: mac?.toLowerCase() ?? 'unknown MAC' };
}

/**
 * Gratuitous ARP for `address` from `dev`, `count` times (habets: 200 ms apart, so the VIP
 * serves in well under a second; iputils: a second apart); failures are only logged.
 */
export async function announce(address: string, dev: string, count: number, signal: AbortSignal, log: (l: string) => void): Promise<string | null> {
  const f = await arpingFlavour();
  if (!f) return 'arping is not installed: neighbours learn the new MAC only when their ARP entry expires';
  const args = f === 'habets'
    ? ['-U', '-S', address, '-i', dev, '-c', String(count), '-W', '0.2', '-w', String(count + 1), address]
    : ['-U', '-I', dev, '-c', String(count), '-w', String(count + 1), address];
  const r = await runCommand({ command: 'arping', args, signal, timeoutMs: (count + 3) * 1000, graceMs: 1_000, log });
  // No replies are expected to an unsolicited ARP, so exit 1 is normal for both flavours.
  if (r.spawnError || r.timedOut || r.code === null || r.code > 1) return describeRun('arping -U', r);
  return null;
}
