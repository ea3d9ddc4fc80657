// The `vip` agent (S4): the address clients use. Driver iproute2: refuse when someone
// already answers ARP for it, `ip addr add`, then gratuitous ARP so neighbours switch to
// our MAC; stop deletes it; monitor checks it is still on the interface and the link is up.
// Driver loopback (one machine): adds ADDR/32 to lo, or when the kernel already answers
// for it (all of 127.0.0.0/8) only records that this node owns it.
import { isIPv4 } from 'node:net';
import { OCF, type AgentContext, type AgentOutcome, type ResourceAgent } from './agent.ts';
import { asType, failed, findInPath, notRunning, outcome, readState, removeState, statePath, success, writeState } from './_common.ts';
import { addAddress, announce, deleteAddress, holderOf, interfaceForSubnet, isLocalAddress, linkProblem, listInterfaces, whoAnswers, IpError, type IfInfo } from './_ip.ts';
import type { ResourceConfig } from '../model/config-schema.ts';

/** Gratuitous ARPs sent after adding the address (a second apart). */
export const GARP_COUNT = 3;

interface VipState {
  readonly address: string;
  readonly prefix: number;
  readonly iface: string;
  /** loopback driver: we added the address (so stop deletes it); false when the kernel already answered for it. */
  readonly added: boolean;
  readonly at: string;
}

export function vipAgent(resource: ResourceConfig): ResourceAgent {
  const p = asType(resource, 'vip').params;
  return p.driver === 'loopback' ? loopbackVip(resource) : iproute2Vip(resource);
}

const stateFile = (ctx: AgentContext) => statePath(ctx, 'vip.json');

async function interfaces(ctx: AgentContext): Promise<IfInfo[] | AgentOutcome> {
  try {
    return await listInterfaces(ctx.signal);
  } catch (err) {
    return err instanceof IpError ? failed(err.message) : failed(`ip failed: ${(err as Error).message}`);
  }
}

function iproute2Vip(resource: ResourceConfig): ResourceAgent {
  const p = asType(resource, 'vip').params;
  const cidr = `${p.address}/${p.prefix}`;

  async function validate(): Promise<AgentOutcome> {
    if (!isIPv4(p.address)) return outcome(OCF.ERR_CONFIGURED, `the iproute2 driver handles IPv4 addresses only (got ${p.address})`);
    if (p.prefix > 32) return outcome(OCF.ERR_CONFIGURED, `prefix ${p.prefix} is too long for IPv4`);
    if (!(await findInPath('ip'))) return outcome(OCF.ERR_INSTALLED, 'ip (iproute2) is not installed');
    if (!(await findInPath('arping'))) return outcome(OCF.ERR_INSTALLED, 'arping is not installed (Debian: apt-get install arping)');
    return success(`${cidr} can be managed`);
  }

  async function pickInterface(ctx: AgentContext, ifs: IfInfo[]): Promise<IfInfo | AgentOutcome> {
    if (p.interface) {
      const i = ifs.find((x) => x.ifname === p.interface);
      return i ?? outcome(OCF.ERR_INSTALLED, `interface ${p.interface} does not exist on ${ctx.node}`);
    }
    return interfaceForSubnet(ifs, p.address)
      ?? outcome(OCF.ERR_CONFIGURED, `no interface on ${ctx.node} has a subnet containing ${p.address}; set params.interface`);
  }

  return {
    validate: () => validate(),

    async start(ctx) {
      const valid = await validate();
      if (valid.rc !== OCF.SUCCESS) return valid;
      const ifs = await interfaces(ctx);
      if (!Array.isArray(ifs)) return ifs;
      const picked = await pickInterface(ctx, ifs);
      if (!('ifname' in picked)) return picked;
      const dev = picked.ifname;
      const down = linkProblem(picked);
      if (down) return failed(`cannot bring up ${p.address}: ${down}`);
      const holder = holderOf(ifs, p.address);
      if (holder && holder.ifname !== dev) return failed(`${p.address} is already on ${holder.ifname} of this node, not ${dev}`);
      if (!holder) {
        const dad = await whoAnswers(p.address, dev, ctx.signal, ctx.log);
        if ('error' in dad) return failed(`duplicate address check failed: ${dad.error}`);
        if (dad.answer) return failed(`${p.address} already answers from ${dad.answer} on ${dev}: another host holds it`);
        const why = await addAddress(cidr, dev, ctx.signal, ctx.log);
        if (why) return failed(why);
      }
      await writeState(stateFile(ctx), { address: p.address, prefix: p.prefix, iface: dev, added: true, at: new Date().toISOString() } satisfies VipState);
      const garp = await announce(p.address, dev, GARP_COUNT, ctx.signal, ctx.log);
      if (garp) ctx.log(`gratuitous ARP for ${p.address} failed: ${garp}`);
      return success(`${cidr} on ${dev}${holder ? ' (was already there)' : ''}, ${garp ? 'gratuitous ARP failed' : `${GARP_COUNT} gratuitous ARPs sent`}`);
    },

    async stop(ctx) {
      const ifs = await interfaces(ctx);
      if (!Array.isArray(ifs)) return ifs;
      const holder = holderOf(ifs, p.address);
      if (holder) {
        const addr = holder.addr_info.find((a) => a.local === p.address);
        const why = await deleteAddress(`${p.address}/${addr?.prefixlen ?? p.prefix}`, holder.ifname, ctx.signal, ctx.log);
        if (why) return failed(why);
      }
      await removeState(stateFile(ctx));
      return success(holder ? `removed ${p.address} from ${holder.ifname}` : `${p.address} was not on this node`);
    },

    async monitor(ctx) {
      const ifs = await interfaces(ctx);
      if (!Array.isArray(ifs)) return ifs;
      const holder = holderOf(ifs, p.address);
      const state = await readState<VipState>(stateFile(ctx));
      if (!holder) return state ? failed(`${p.address} disappeared from ${state.iface}`) : notRunning(`${p.address} is not on this node`);
      const down = linkProblem(holder);
      if (down) return failed(`${p.address} is on ${holder.ifname} but ${down}`);
      return success(`${p.address} on ${holder.ifname}`);
    },
  };
}

function loopbackVip(resource: ResourceConfig): ResourceAgent {
  const p = asType(resource, 'vip').params;
  const host = isIPv4(p.address) ? `${p.address}/32` : `${p.address}/128`;

  return {
    async validate() {
      if (!(await findInPath('ip'))) return outcome(OCF.ERR_INSTALLED, 'ip (iproute2) is not installed');
      return success(`${p.address} can be managed on lo`);
    },

    async start(ctx) {
      const state = await readState<VipState>(stateFile(ctx));
      if (state) return success(`${p.address} already owned by this node on lo`);
      let added = false;
      if (!(await isLocalAddress(p.address, ctx.signal))) {
        if (typeof process.getuid === 'function' && process.getuid() !== 0) {
          return outcome(OCF.ERR_PERM, `adding ${host} to lo needs root (or use an address in 127.0.0.0/8)`);
        }
        const why = await addAddress(host, 'lo', ctx.signal, ctx.log);
        if (why) return failed(why);
        added = true;
      }
      await writeState(stateFile(ctx), { address: p.address, prefix: isIPv4(p.address) ? 32 : 128, iface: 'lo', added, at: new Date().toISOString() } satisfies VipState);
      return success(added ? `added ${host} to lo` : `${p.address} is already local here; ownership recorded`);
    },

    async stop(ctx) {
      const state = await readState<VipState>(stateFile(ctx));
      if (state?.added) {
        const ifs = await interfaces(ctx);
        if (!Array.isArray(ifs)) return ifs;
        if (holderOf(ifs, p.address)?.ifname === 'lo') {
          const why = await deleteAddress(host, 'lo', ctx.signal, ctx.log);
          if (why) return failed(why);
        }
      }
      await removeState(stateFile(ctx));
      return success(state ? `released ${p.address}${state.added ? ' (removed from lo)' : ''}` : `${p.address} was not owned by this node`);
    },

    async monitor(ctx) {
      const state = await readState<VipState>(stateFile(ctx));
      if (!state) return notRunning(`${p.address} is not owned by this node`);
      if (state.added) {
        const ifs = await interfaces(ctx);
        if (!Array.isArray(ifs)) return ifs;
        if (holderOf(ifs, p.address)?.ifname !== 'lo') return failed(`${p.address} disappeared from lo`);
      } else if (!(await isLocalAddress(p.address, ctx.signal))) {
        return failed(`${p.address} is no longer a local address`);
      }
      return success(`${p.address} owned on lo`);
    },
  };
}
