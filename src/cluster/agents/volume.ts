// The `volume` agent: exclusive ownership of the group's data directory. Optionally fsck
// and mount a device there; then write the fencing token (the lease epoch) durably into
// the directory, refusing when the directory already carries a newer token (this node is a
// stale owner). Stop unmounts (and names the processes that keep it busy); monitor checks
// the mount and that the token on disk is still ours.
import { stat, realpath, access, constants } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { OCF, type AgentContext, type AgentOutcome, type ResourceAgent } from './agent.ts';
import { asType, failed, notRunning, outcome, readState, removeState, statePath, success, writeState, findInPath, sleep } from './_common.ts';
import { runCommand, describeRun } from './run-command.ts';
import { readFence, writeFence, FENCE_FILE } from './fence.ts';
import { mountAt, deviceNumber, mountPointsOf, processesUsing, otherNamespacesMounting } from './_mounts.ts';
import type { ResourceConfig } from '../model/config-schema.ts';

/** What this node recorded when it activated the volume (node-local, in stateDir). */
interface VolumeState {
  readonly path: string;
  readonly token: number;
  /** We mounted the device, so stop unmounts it. */
  readonly mounted: boolean;
  readonly at: string;
}

/** How long fsck's "device in use" (exit 8) is retried before the start fails. */
export const FSCK_BUSY_RETRY_MS = 10_000;

const params = (r: ResourceConfig) => asType(r, 'volume').params;

export function volumeAgent(resource: ResourceConfig): ResourceAgent {
  const p = params(resource);
  const statFile = (ctx: AgentContext) => statePath(ctx, 'volume.json');

  async function validate(): Promise<AgentOutcome> {
    if (!isAbsolute(p.path)) return outcome(OCF.ERR_CONFIGURED, `path ${p.path} is not absolute`);
    if (p.device) {
      if (!isAbsolute(p.device)) return outcome(OCF.ERR_CONFIGURED, `device ${p.device} is not absolute`);
      for (const prog of ['mount', 'umount', ...(p.fsck ? ['fsck'] : [])]) {
        if (!(await findInPath(prog))) return outcome(OCF.ERR_INSTALLED, `${prog} is not installed (util-linux)`);
      }
      if (!(await deviceNumber(p.device))) return outcome(OCF.ERR_INSTALLED, `device ${p.device} is not a block device on this node`);
    }
    try {
      if (!(await stat(p.path)).isDirectory()) return outcome(OCF.ERR_CONFIGURED, `${p.path} is not a directory`);
    } catch {
      // Never create it: on a node where the shared storage is missing, a fresh local
      // directory would quietly split the data in two.
      return outcome(OCF.ERR_INSTALLED, `${p.path} does not exist on this node (is the shared storage attached?)`);
    }
    return success(`${p.device ? `${p.device} on ` : ''}${p.path} can be activated`);
  }

  /** Makes sure the device is mounted on the path; returns whether we mounted it now. */
  async function ensureMounted(ctx: AgentContext, device: string): Promise<{ ok: true; mountedNow: boolean } | { ok: false; out: AgentOutcome }> {
    const mountPoint = await realpath(p.path);
    const dev = await deviceNumber(device);
    if (!dev) return { ok: false, out: outcome(OCF.ERR_INSTALLED, `device ${device} is not a block device on this node`) };
    const current = await mountAt(mountPoint);
    if (current && current.dev === dev) return { ok: true, mountedNow: false };
    if (current) return { ok: false, out: failed(`${mountPoint} already has ${current.source} (${current.fsType}) mounted on it`) };
    const elsewhere = await mountPointsOf(device);
    if (elsewhere.length > 0) return { ok: false, out: failed(`${device} is already mounted on ${elsewhere.join(', ')}`) };
    if (p.fsck) {
      const fsck = () => runCommand({ command: 'fsck', args: ['-p', ...(p.fsType ? ['-t', p.fsType] : []), device], signal: ctx.signal, log: ctx.log });
      let r = await fsck();
      // 8 is an operational error, typically "is in use": something had the device open for
      // a moment (udev's blkid after the last umount, or a process that entered a new mount
      // namespace, such as `ip netns exec`, while it was mounted and holds a copy of the
      // mount until it exits). Retried for up to FSCK_BUSY_RETRY_MS.
      const until = Date.now() + FSCK_BUSY_RETRY_MS;
      while (r.code === 8 && Date.now() < until && (await sleep(1_000, ctx.signal))) {
        ctx.log(`fsck -p ${device} exited 8; retrying`);
        r = await fsck();
      }
      // fsck(8): 0 clean, 1 errors corrected, 2 corrected and a reboot is advised (only for
      // the root filesystem, so fine here); 4 and up: errors left, do not mount.
      if (r.code === null || r.code >= 4) {
        const said = r.output.filter((l) => l.replace(/^stderr: /, '').trim()).slice(-3).join(' / ');
        return { ok: false, out: failed(`${describeRun(`fsck -p ${device}`, { ...r, output: [] })}${said ? `: ${said}` : ''}`) };
      }
      if (r.code !== 0) ctx.log(`fsck -p ${device} corrected errors (exit ${r.code})`);
    }
    const r = await runCommand({ command: 'mount', args: [...(p.fsType ? ['-t', p.fsType] : []), device, mountPoint], signal: ctx.signal, log: ctx.log });
    if (r.code !== 0) return { ok: false, out: failed(describeRun(`mount ${device} ${mountPoint}`, r)) };
    return { ok: true, mountedNow: true };
  }

  async function unmount(ctx: AgentContext, mountPoint: string): Promise<AgentOutcome | null> {
    const dev = (await mountAt(mountPoint))?.dev;
    const r = await runCommand({ command: 'umount', args: [mountPoint], signal: ctx.signal, log: ctx.log });
    if (r.code !== 0) {
      const users = await processesUsing(mountPoint);
      const who = users.length > 0 ? `; in use by ${users.map((u) => `pid ${u.pid} (${u.command})`).join(', ')}` : '';
      return failed(`${describeRun(`umount ${mountPoint}`, r)}${who}`);
    }
    return dev ? noCopiesLeft(ctx, dev, mountPoint) : null;
  }

  /**
   * Gone from our namespace is not gone: waits (bounded) for copies of the mount in other
   * mount namespaces to disappear, or says who holds one. Another node must not mount the
   * filesystem while any copy is live.
   */
  async function noCopiesLeft(ctx: AgentContext, dev: string, mountPoint: string): Promise<AgentOutcome | null> {
    const until = Date.now() + Math.min(10_000, Math.floor(resource.timeouts.stop / 2));
    for (;;) {
      const holders = await otherNamespacesMounting(dev);
      if (holders.length === 0) return null;
      if (Date.now() >= until || !(await sleep(250, ctx.signal))) {
        return failed(`${mountPoint} is unmounted here, but the filesystem is still mounted in the mount namespace of ${holders.map((h) => `pid ${h.pid} (${h.command})`).join(', ')}`);
      }
    }
  }

  return {
    validate: () => validate(),

    async start(ctx) {
      const valid = await validate();
      if (valid.rc !== OCF.SUCCESS) return valid;
      if (!Number.isSafeInteger(ctx.epoch) || ctx.epoch < 1) return outcome(OCF.ERR_ARGS, `refusing to activate ${p.path} without a lease (epoch ${ctx.epoch})`);
      let mountedNow = false;
      if (p.device) {
        const m = await ensureMounted(ctx, p.device);
        if (!m.ok) return m.out;
        mountedNow = m.mountedNow;
      }
      const undo = async (why: AgentOutcome): Promise<AgentOutcome> => {
        if (mountedNow) await unmount(ctx, await realpath(p.path));
        return why;
      };
      const before = await readFence(p.path);
      if (before.kind === 'bad') return undo(failed(before.reason));
      if (before.kind === 'ok') {
        const f = before.fence;
        if (f.token > ctx.epoch) return undo(failed(`stale owner: ${p.path} was activated by ${f.node} with token ${f.token}, newer than ours (${ctx.epoch})`));
        if (f.token === ctx.epoch && f.node !== ctx.node) return undo(failed(`${p.path} carries our token ${f.token} but names node ${f.node}`));
      }
      const fence = { token: ctx.epoch, node: ctx.node, cluster: ctx.cluster, group: ctx.group.name, resource: ctx.resource.name, at: new Date().toISOString() };
      try {
        await access(p.path, constants.W_OK);
        await writeFence(p.path, fence);
        await writeState(statFile(ctx), { path: p.path, token: ctx.epoch, mounted: mountedNow || Boolean(p.device), at: fence.at } satisfies VolumeState);
      } catch (err) {
        return undo(failed(`cannot write ${FENCE_FILE} in ${p.path}: ${(err as Error).message}`));
      }
      // Narrows (does not close) the window in which a paused node could write an older
      // token after a newer one: read back what won.
      const after = await readFence(p.path);
      if (after.kind !== 'ok' || after.fence.token !== ctx.epoch || after.fence.node !== ctx.node) {
        await removeState(statFile(ctx));
        return undo(failed(`lost the fence on ${p.path} while activating: ${after.kind === 'ok' ? `${after.fence.node} wrote token ${after.fence.token}` : 'fence unreadable'}`));
      }
      return success(`${p.device ? `${p.device} mounted on ` : ''}${p.path}, fencing token ${ctx.epoch}`);
    },

    async stop(ctx) {
      const state = await readState<VolumeState>(statFile(ctx));
      if (p.device) {
        let mountPoint: string;
        try {
          mountPoint = await realpath(p.path);
        } catch {
          await removeState(statFile(ctx));
          return success(`${p.path} does not exist here: nothing mounted`);
        }
        const dev = await deviceNumber(p.device);
        const current = await mountAt(mountPoint);
        if (current && dev && current.dev === dev) {
          const why = await unmount(ctx, mountPoint);
          if (why) return why;
        } else if (dev) {
          const why = await noCopiesLeft(ctx, dev, mountPoint);
          if (why) return why;
        }
      }
      // The fence file stays: tokens on the volume only ever grow.
      await removeState(statFile(ctx));
      return success(state ? `released ${p.path} (token ${state.token})` : `${p.path} was not active here`);
    },

    async monitor(ctx) {
      const state = await readState<VolumeState>(statFile(ctx));
      if (!state) return notRunning(`${p.path} is not active on this node`);
      if (p.device) {
        let mountPoint: string;
        try {
          mountPoint = await realpath(p.path);
        } catch {
          return failed(`${p.path} is gone`);
        }
        const dev = await deviceNumber(p.device);
        const current = await mountAt(mountPoint);
        if (!current || !dev || current.dev !== dev) return failed(`${p.device} is no longer mounted on ${mountPoint}`);
        if (current.options.includes('ro')) return failed(`${mountPoint} is mounted read-only (filesystem errors?)`);
      }
      const fence = await readFence(p.path);
      if (fence.kind === 'none') return failed(`${FENCE_FILE} disappeared from ${p.path}`);
      if (fence.kind === 'bad') return failed(fence.reason);
      if (fence.fence.token !== state.token || fence.fence.node !== ctx.node) {
        return failed(`replaced: ${p.path} now carries token ${fence.fence.token} of ${fence.fence.node} (ours ${state.token})`);
      }
      return success(`${p.path} active with token ${state.token}`);
    },
  };
}
