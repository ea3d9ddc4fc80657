// What differs between two configs, for "tandem status shows what differs" (S12). Lists of
// named things (nodes, groups, resources, monitors) are compared by name, not position.
import type { ClusterConfig } from './config-schema.ts';
import { canonicalJson } from './config-hash.ts';

export interface ConfigDifference {
  /** Readable path, e.g. "groups.mail.resources.vip.params.address". */
  path: string;
  /** The value on each side; undefined means absent there. */
  a: unknown;
  b: unknown;
}

/** Every difference between `a` and `b`; empty exactly when their hashes are equal. */
export function diffConfigs(a: ClusterConfig, b: ClusterConfig): ConfigDifference[] {
  const out: ConfigDifference[] = [];
  diffValue(a, b, '', out);
  return out;
}

const SECRET_PATH = 'cluster.secret';

function diffValue(a: unknown, b: unknown, path: string, out: ConfigDifference[]): void {
  if (canonicalJson(a) === canonicalJson(b)) return;
  if (path === SECRET_PATH) {
    // The secret must never reach a status page; say that it differs, not what it is.
    out.push({ path, a: '(hidden)', b: '(hidden, different)' });
    return;
  }
  if (isNamedList(a) && isNamedList(b)) return diffNamedLists(a, b, path, out);
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) diffValue(a[k], b[k], join(path, k), out);
    return;
  }
  out.push({ path: path || '(top level)', a, b });
}

type Named = { name: string } & Record<string, unknown>;

function diffNamedLists(a: Named[], b: Named[], path: string, out: ConfigDifference[]): void {
  const byName = (list: Named[]): Map<string, Named> => new Map(list.map((x) => [x.name, x]));
  const ma = byName(a);
  const mb = byName(b);
  for (const [n, x] of ma) diffValue(x, mb.get(n), join(path, n), out);
  for (const [n, y] of mb) if (!ma.has(n)) diffValue(undefined, y, join(path, n), out);
  const orderA = a.map((x) => x.name).filter((n) => mb.has(n));
  const orderB = b.map((x) => x.name).filter((n) => ma.has(n));
  // Order alone changes the hash, so it must show up here too.
  if (orderA.join() !== orderB.join()) out.push({ path: join(path, '(order)'), a: orderA, b: orderB });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isNamedList(v: unknown): v is Named[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => isObject(x) && typeof x.name === 'string')
    && new Set(v.map((x) => (x as Named).name)).size === v.length;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
