// Resource start order from `dependsOn` (topological, ties broken by declaration order so
// the order is stable and readable); stop order is its reverse. Pure.
import type { GroupConfig } from './config-schema.ts';

type Deps = Pick<GroupConfig, 'resources'>;

/**
 * Finds a dependency cycle, as the list of resource names along it (first repeated at the
 * end), or null. Dependencies on unknown names are ignored here (config-check reports them).
 */
export function findDependencyCycle(group: Deps): string[] | null {
  const deps = new Map(group.resources.map((r) => [r.name, r.dependsOn] as const));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): string[] | null => {
    if (state.get(n) === 'done') return null;
    if (state.get(n) === 'visiting') return [...path.slice(path.indexOf(n)), n];
    state.set(n, 'visiting');
    path.push(n);
    for (const d of deps.get(n) ?? []) {
      if (!deps.has(d)) continue;
      const cycle = visit(d);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(n, 'done');
    return null;
  };
  for (const r of group.resources) {
    const cycle = visit(r.name);
    if (cycle) return cycle;
  }
  return null;
}

/**
 * The order to start a group's resources: every resource after the ones it depends on.
 * A validated config has no cycles; if one slips through, the remaining resources are
 * appended in declaration order rather than dropped (the policy must stay total).
 */
export function startOrder(group: Deps): string[] {
  const names = group.resources.map((r) => r.name);
  const known = new Set(names);
  const pending = new Map(group.resources.map((r) => [r.name, new Set(r.dependsOn.filter((d) => known.has(d)))] as const));
  const order: string[] = [];
  while (pending.size > 0) {
    const ready = names.find((n) => pending.get(n)?.size === 0);
    if (ready === undefined) break;
    order.push(ready);
    pending.delete(ready);
    for (const set of pending.values()) set.delete(ready);
  }
  for (const n of names) if (pending.has(n)) order.push(n);
  return order;
}

/** The order to stop a group's resources: dependents first. */
export function stopOrder(group: Deps): string[] {
  return startOrder(group).reverse();
}

/** The names of resources that depend on `name`, directly or through others. */
export function dependentsOf(group: Deps, name: string): Set<string> {
  const out = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const r of group.resources) {
      if (out.has(r.name) || r.name === name) continue;
      if (r.dependsOn.some((d) => d === name || out.has(d))) {
        out.add(r.name);
        grew = true;
      }
    }
  }
  return out;
}
