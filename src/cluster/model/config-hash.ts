// The configuration identity nodes exchange (S12): sha256 over canonical JSON, so key
// order and YAML spelling ("3s" vs 3000) do not matter but every value does.
import { createHash } from 'node:crypto';
import type { ClusterConfig } from './config-schema.ts';

/** JSON with object keys sorted at every level; arrays keep their order (it carries priority). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Hex sha256 of the canonical JSON of a validated config. */
export function configHash(config: ClusterConfig): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex');
}
