// What differs between this node's configuration and a peer's, for the console's nodes
// table (S12), fetched from the peer (GET /peer/config, signed) in the background at most
// every 10 s per peer, so a page open on every screen never floods the node channel.
import { diffConfigs } from '../model/config-diff.ts';
import type { ClusterConfig } from '../model/config-schema.ts';
import type { NodeDaemon } from '../node/daemon.ts';

const REFRESH_MS = 10_000;
const MAX_SHOWN = 10;

/** The config as peers show theirs (secret and password hashes hidden), from the API module. */
export type Redact = (config: ClusterConfig) => ClusterConfig;

export class PeerDifferences {
  private readonly known = new Map<string, { at: number; text: string }>();
  private readonly fetching = new Set<string>();

  constructor(private readonly d: NodeDaemon, private readonly redact: Redact) {}

  /** The last known differences with `node` (null until fetched); starts a refresh when stale. */
  of(node: string): string | null {
    const k = this.known.get(node);
    if (!k || Date.now() - k.at > REFRESH_MS) this.refresh(node);
    return k?.text ?? null;
  }

  private refresh(node: string): void {
    if (this.fetching.has(node)) return;
    this.fetching.add(node);
    void this.d.call<{ config: ClusterConfig }>(node, 'GET', '/peer/config', null, 3_000).then((r) => {
      let text: string;
      if (!r.ok) text = `could not fetch its configuration: ${r.reason}`;
      else {
        const diffs = diffConfigs(this.redact(this.d.config), r.body.config);
        const shown = diffs.slice(0, MAX_SHOWN).map((x) => `${x.path}: here ${JSON.stringify(x.a) ?? 'absent'}, there ${JSON.stringify(x.b) ?? 'absent'}`);
        text = diffs.length === 0 ? 'no difference in the shared fields' : `${shown.join('; ')}${diffs.length > MAX_SHOWN ? `; and ${diffs.length - MAX_SHOWN} more (tandem status)` : ''}`;
      }
      this.known.set(node, { at: Date.now(), text });
    }, () => undefined).finally(() => this.fetching.delete(node));
  }
}
