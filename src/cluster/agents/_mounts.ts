// Linux mount facts for the volume agent: what is mounted where (/proc/self/mountinfo)
// and which processes hold files under a mount (/proc/PID/{cwd,root,fd}), so a failed
// umount can say who keeps it busy.
import { readFile, readdir, readlink, stat } from 'node:fs/promises';

export interface MountEntry {
  /** major:minor of the mounted filesystem. */
  readonly dev: string;
  readonly mountPoint: string;
  readonly options: readonly string[];
  readonly fsType: string;
  readonly source: string;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses /proc/self/mountinfo text (proc(5)); pure, for tests. */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const l = left.split(' ');
    const r = right.split(' ');
    if (l.length < 6 || r.length < 2) continue;
    out.push({ dev: l[2] as string, mountPoint: unescape(l[4] as string), options: (l[5] as string).split(','), fsType: r[0] as string, source: unescape(r[1] as string) });
  }
  return out;
}

export async function mounts(): Promise<MountEntry[]> {
  return parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'));
}

/** The filesystem mounted last on `mountPoint` (the visible one), or null. */
export async function mountAt(mountPoint: string): Promise<MountEntry | null> {
  const all = (await mounts()).filter((m) => m.mountPoint === mountPoint);
  return all[all.length - 1] ?? null;
}

/** major:minor of a block device, as mountinfo writes it. */
export async function deviceNumber(device: string): Promise<string | null> {
  try {
    const s = await stat(device);
    if (!s.isBlockDevice()) return null;
    const rdev = s.rdev;
    const major = Math.floor(rdev / 256) & 0xfff | (Math.floor(rdev / 2 ** 32) & ~0xfff);
    const minor = (rdev & 0xff) | (Math.floor(rdev / 4096) & ~0xff);
    return `${major}:${minor}`;
  } catch {
    return null;
  }
}

/** Mount points where a device is mounted (matched by device number, so /dev/disk/by-* names work). */
export async function mountPointsOf(device: string): Promise<string[]> {
  const dev = await deviceNumber(device);
  if (!dev) return [];
  return (await mounts()).filter((m) => m.dev === dev).map((m) => m.mountPoint);
}

/** Processes with their cwd, root, executable or an open file under `dir`; at most `limit`. */
export async function processesUsing(dir: string, limit = 20): Promise<Array<{ pid: number; command: string }>> {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const inside = (p: string) => p === dir || p.startsWith(prefix);
  const found: Array<{ pid: number; command: string }> = [];
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n));
  } catch {
    return found;
  }
  for (const pid of pids) {
    if (found.length >= limit) break;
    const links: string[] = [];
    for (const l of ['cwd', 'root', 'exe']) links.push(await readlink(`/proc/${pid}/${l}`).catch(() => ''));
    let fds: string[] = [];
    try {
      fds = await readdir(`/proc/${pid}/fd`);
    } catch { /* gone or not ours to see */ }
    for (const fd of fds.slice(0, 4096)) links.push(await readlink(`/proc/${pid}/fd/${fd}`).catch(() => ''));
    if (links.some(inside)) {
      const command = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?')).trim();
      found.push({ pid: Number(pid), command });
    }
  }
  return found;
}

/**
 * Processes in OTHER mount namespaces that still have the filesystem `dev` (major:minor)
 * mounted, one per namespace. A namespace created while the volume was mounted (ip netns
 * exec, unshare, systemd PrivateTmp) keeps its own copy of the mount after ours is gone, and
 * the filesystem stays live: mounting it on another node then would corrupt it.
 */
export async function otherNamespacesMounting(dev: string, limit = 10): Promise<Array<{ pid: number; command: string }>> {
  const own = await readlink('/proc/self/ns/mnt').catch(() => '');
  const seen = new Set<string>([own]);
  const found: Array<{ pid: number; command: string }> = [];
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n));
  } catch {
    return found;
  }
  for (const pid of pids) {
    if (found.length >= limit) break;
    const ns = await readlink(`/proc/${pid}/ns/mnt`).catch(() => '');
    if (!ns || seen.has(ns)) continue;
    seen.add(ns);
    const info = await readFile(`/proc/${pid}/mountinfo`, 'utf8').catch(() => '');
    if (parseMountInfo(info).some((m) => m.dev === dev)) {
      const command = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?')).trim();
      found.push({ pid: Number(pid), command });
    }
  }
  return found;
}
