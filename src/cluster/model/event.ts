// One entry of a node's event log (DESIGN 2.9): every state change the daemon makes or
// sees. The log is structured (one JSON object per line) so `tandem log` can filter it,
// and alert sinks (log, console, webhook, mail) receive the same objects.

export type EventLevel = 'info' | 'warning' | 'error';

export interface ClusterEvent {
  /** Wall-clock time, ISO 8601 (for people; ordering on one node is by `seq`). */
  readonly at: string;
  /** Increasing per node and per log file. */
  readonly seq: number;
  readonly cluster: string;
  /** The node that logged it. */
  readonly node: string;
  readonly level: EventLevel;
  /**
   * What happened, as a stable dotted name, e.g. `group.started`, `group.failover`,
   * `resource.failed`, `monitor.fell`, `node.lost`, `node.joined`, `config.mismatch`,
   * `lease.lost`, `broadcast` (tandem broadcast), `script.output`.
   */
  readonly kind: string;
  readonly group?: string;
  readonly resource?: string;
  /** The node the event is about, when it is not the logging node (node.lost). */
  readonly subject?: string;
  /** One line for people. */
  readonly message: string;
  /** Kind-specific details (epoch, rc, output lines...). */
  readonly data?: Readonly<Record<string, unknown>>;
}

/** Where events go besides the log: the alert sinks of the config (src/cluster/alerts/). */
export interface EventSink {
  send(event: ClusterEvent): Promise<void>;
  close(): Promise<void>;
}
