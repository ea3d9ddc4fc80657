// Test helper: cluster events for the alert sink tests.
import type { ClusterEvent, EventLevel } from '../model/event.ts';

let seq = 0;

export function event(level: EventLevel, kind = 'group.failover', extra: Partial<ClusterEvent> = {}): ClusterEvent {
  seq += 1;
  return {
    at: new Date(Date.UTC(2026, 10, 24, 21, 0, seq)).toISOString(),
    seq,
    cluster: 'mail-cluster',
    node: 'sv1',
    level,
    kind,
    group: 'mail',
    message: `group mail fails over to sv2: smtp failed 4 times (#${seq})`,
    data: { epoch: 7 },
    ...extra,
  };
}
