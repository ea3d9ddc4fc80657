// The `sync` agent (the seed's registry sync): node-local files kept identical on every
// node of the group. While the group runs here, every listed file is pushed to the other
// nodes on start and again whenever it changes (fs.watch on its directory, plus a poll,
// since watch misses events on some filesystems). A push that fails for a node is retried
// at the next poll. The receiving side (writeSyncedFile) is called by the node daemon.
import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat, open, rename, utimes, chmod, unlink } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { OCF, type AgentContext, type AgentOutcome, type PeerFiles, type ResourceAgent, type SyncedFile } from './agent.ts';
import { asType, failed, notRunning, outcome, success } from './_common.ts';
import { fsyncDir } from '../../lib/durable.ts';
import type { ResourceConfig } from '../model/config-schema.ts';

/** Time between polls (changes fs.watch missed, pushes to retry). */
export const SYNC_POLL_MS = 2_000;
/** Longest a background push may take before it is abandoned (and retried at the next poll). */
export const SYNC_PUSH_TIMEOUT_MS = 60_000;
/** Larger files are refused: these are settings files, and each push holds one in memory. */
export const SYNC_MAX_BYTES = 16 * 1024 * 1024;

interface Seen {
  /** Stat fingerprint: a changed one makes us read and hash the file. */
  readonly stamp: string;
  /** Content hash last pushed to every node successfully; null = push pending. */
  readonly pushedHash: string | null;
  readonly hash: string;
}

/** One running sync: the watchers, the poll, and what was pushed. */
class SyncSession {
  private readonly seen = new Map<string, Seen>();
  private readonly watchers: FSWatcher[] = [];
  private readonly abort = new AbortController();
  private poll: NodeJS.Timeout | null = null;
  private running: Promise<string> | null = null;
  private again = false;
  private debounce: NodeJS.Timeout | null = null;
  private lastProblem = '';

  constructor(
    private readonly paths: readonly string[],
    private readonly group: string,
    private readonly resource: string,
    private readonly peers: PeerFiles,
    private readonly log: (line: string) => void,
  ) {}

  /** First full push (awaited by start); then watch and poll. */
  async begin(signal: AbortSignal): Promise<string> {
    const summary = await this.check(signal);
    for (const dir of new Set(this.paths.map((p) => dirname(p)))) {
      try {
        const names = new Set(this.paths.filter((p) => dirname(p) === dir).map((p) => basename(p)));
        const w = watch(dir, { persistent: false }, (_event, name) => {
          if (name === null || names.has(name.toString())) this.soon();
        });
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch (err) {
        this.log(`cannot watch ${dir} (${(err as Error).message}); polling every ${SYNC_POLL_MS}ms`);
      }
    }
    this.poll = setInterval(() => this.soon(0), SYNC_POLL_MS);
    return summary;
  }

  get active(): boolean {
    return this.poll !== null;
  }

  async close(): Promise<void> {
    if (this.poll) clearInterval(this.poll);
    if (this.debounce) clearTimeout(this.debounce);
    this.poll = null;
    for (const w of this.watchers.splice(0)) w.close();
    this.abort.abort();
    await this.running?.catch(() => undefined);
  }

  /** Runs a check shortly (editors write in several steps), never two at once. */
  private soon(delayMs = 200): void {
    if (!this.poll) return;
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      if (this.running) { this.again = true; return; }
      // A push in the background is bounded too: a hung node must not stall the next ones.
      void this.check(AbortSignal.any([this.abort.signal, AbortSignal.timeout(SYNC_PUSH_TIMEOUT_MS)])).then((s) => { if (s) this.log(s); }).catch((err: unknown) => this.log(`sync check failed: ${(err as Error).message}`));
    }, delayMs);
  }

  /** Pushes what changed since the last successful push; returns a summary ('' when nothing to do). */
  check(signal: AbortSignal): Promise<string> {
    const run = (async () => {
      try {
        return await this.checkNow(signal);
      } finally {
        this.running = null;
        if (this.again && this.poll) {
          this.again = false;
          this.soon(0);
        }
      }
    })();
    this.running = run;
    return run;
  }

  private async checkNow(signal: AbortSignal): Promise<string> {
    const changed: Array<{ file: SyncedFile; hash: string; stamp: string }> = [];
    const problems: string[] = [];
    for (const path of this.paths) {
      let s;
      try {
        s = await stat(path);
      } catch {
        problems.push(`${path} is missing`);
        continue;
      }
      if (!s.isFile()) { problems.push(`${path} is not a regular file`); continue; }
      if (s.size > SYNC_MAX_BYTES) { problems.push(`${path} is larger than ${SYNC_MAX_BYTES} bytes`); continue; }
      const stamp = `${s.ino}:${s.size}:${s.mtimeMs}:${s.mode}`;
      const prev = this.seen.get(path);
      if (prev && prev.stamp === stamp && prev.pushedHash === prev.hash) continue;
      const data = await readFile(path);
      const hash = createHash('sha256').update(data).update(String(s.mode & 0o7777)).digest('hex');
      if (prev && prev.pushedHash === hash) {
        this.seen.set(path, { stamp, hash, pushedHash: hash });
        continue;
      }
      this.seen.set(path, { stamp, hash, pushedHash: prev?.pushedHash ?? null });
      changed.push({ file: { path, data, mode: s.mode & 0o7777, mtimeMs: s.mtimeMs }, hash, stamp });
    }
    let summary = '';
    if (changed.length > 0) {
      let results: Awaited<ReturnType<PeerFiles['push']>>;
      try {
        results = await this.peers.push(this.group, this.resource, changed.map((c) => c.file), signal);
      } catch (err) {
        // The channel itself failed (or the push timed out): nothing was confirmed anywhere.
        results = [{ node: 'all nodes', ok: false, reason: (err as Error).message }];
      }
      const bad = results.filter((r) => !r.ok);
      if (bad.length === 0) {
        for (const c of changed) this.seen.set(c.file.path, { stamp: c.stamp, hash: c.hash, pushedHash: c.hash });
      } else {
        problems.push(...bad.map((r) => `${r.node}: ${r.reason}`));
      }
      const good = results.filter((r) => r.ok).map((r) => r.node);
      summary = `pushed ${changed.length} file${changed.length === 1 ? '' : 's'} to ${good.length > 0 ? good.join(', ') : 'no node'}`
        + (bad.length > 0 ? `; failed for ${bad.map((r) => r.node).join(', ')} (retried every ${SYNC_POLL_MS}ms)` : '');
    }
    // Say each distinct problem once, not at every poll.
    const problem = problems.join('; ');
    if (problem && problem !== this.lastProblem) this.log(`sync: ${problem}`);
    this.lastProblem = problem;
    return summary;
  }
}

const sessions = new Map<string, SyncSession>();
const keyOf = (ctx: AgentContext) => `${ctx.stateDir}\0${ctx.group.name}\0${ctx.resource.name}`;

export function syncAgent(resource: ResourceConfig): ResourceAgent {
  const p = asType(resource, 'sync').params;

  async function validate(): Promise<AgentOutcome> {
    const relative = p.paths.find((x) => !isAbsolute(x));
    if (relative) return outcome(OCF.ERR_CONFIGURED, `path ${relative} is not absolute`);
    return success(`${p.paths.length} path${p.paths.length === 1 ? '' : 's'} to keep in sync`);
  }

  async function missing(): Promise<string[]> {
    const out: string[] = [];
    for (const path of p.paths) {
      const s = await stat(path).catch(() => null);
      if (!s?.isFile()) out.push(path);
    }
    return out;
  }

  return {
    validate: () => validate(),

    async start(ctx) {
      const valid = await validate();
      if (valid.rc !== OCF.SUCCESS) return valid;
      const gone = await missing();
      if (gone.length > 0) return failed(`missing on ${ctx.node}: ${gone.join(', ')}`);
      const existing = sessions.get(keyOf(ctx));
      if (existing?.active) {
        const s = await existing.check(ctx.signal);
        return success(`already syncing${s ? `; ${s}` : ''}`);
      }
      const session = new SyncSession(p.paths, ctx.group.name, ctx.resource.name, ctx.peers, ctx.log);
      sessions.set(keyOf(ctx), session);
      const summary = await session.begin(ctx.signal);
      return success(`watching ${p.paths.length} file${p.paths.length === 1 ? '' : 's'}${summary ? `; ${summary}` : ''}`);
    },

    async stop(ctx) {
      const session = sessions.get(keyOf(ctx));
      sessions.delete(keyOf(ctx));
      if (!session) return success('not syncing on this node');
      await session.close();
      return success('stopped watching');
    },

    async monitor(ctx) {
      const session = sessions.get(keyOf(ctx));
      if (!session?.active) return notRunning('not syncing on this node');
      const gone = await missing();
      if (gone.length > 0) return failed(`missing: ${gone.join(', ')}`);
      return success(`${p.paths.length} file${p.paths.length === 1 ? '' : 's'} present and watched`);
    },
  };
}

/**
 * The receiving side, for the node daemon: writes a pushed file durably (temp file, fsync,
 * mode and mtime, rename, directory fsync), but only when `allowed` (the paths of this
 * node's own sync resources) lists it. Returns null when written, else the reason.
 */
export async function writeSyncedFile(file: SyncedFile, allowed: readonly string[]): Promise<string | null> {
  if (!isAbsolute(file.path) || !allowed.includes(file.path)) return `${file.path} is not a synced path on this node`;
  if (file.data.length > SYNC_MAX_BYTES) return `${file.path}: larger than ${SYNC_MAX_BYTES} bytes`;
  const tmp = join(dirname(file.path), `.${basename(file.path)}.tandem-sync-${process.pid}-${Date.now()}`);
  try {
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(file.data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await chmod(tmp, file.mode & 0o7777);
    await utimes(tmp, new Date(), new Date(file.mtimeMs));
    await rename(tmp, file.path);
    await fsyncDir(dirname(file.path));
    return null;
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    return `${file.path}: ${(err as Error).message}`;
  }
}
