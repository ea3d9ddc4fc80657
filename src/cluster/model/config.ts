// Entry point for the cluster configuration: parse YAML, validate (schema, then semantic
// checks) and return the config or every problem, each naming its field path.
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { clusterConfigSchema, type ClusterConfig } from './config-schema.ts';
import { checkClusterConfig } from './config-check.ts';

export type { ClusterConfig, NodeConfig, GroupConfig, ResourceConfig, MonitorConfig, RecoveryConfig, ResourceType, NodeMonitorConfig } from './config-schema.ts';
export { parseDuration, DEFAULT_RECOVERY } from './config-schema.ts';
export { configHash, canonicalJson } from './config-hash.ts';
export { diffConfigs, type ConfigDifference } from './config-diff.ts';
export { startOrder, stopOrder, dependentsOf } from './order.ts';

export type ConfigResult = { ok: true; config: ClusterConfig } | { ok: false; errors: string[] };

/** Validates an already-parsed object (e.g. from JSON or a test) as a cluster config. */
export function validateClusterConfig(raw: unknown): ConfigResult {
  const result = clusterConfigSchema.safeParse(raw);
  if (!result.success) {
    const errors = result.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`);
    return { ok: false, errors };
  }
  // Semantic checks only make sense on a well-formed config, so they run second.
  const errors = checkClusterConfig(result.data);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config: result.data };
}

/** Parses and validates the cluster YAML text. Never throws. */
export function parseClusterConfig(yamlText: string): ConfigResult {
  let raw: unknown;
  try {
    raw = parseYaml(yamlText);
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` (line ${err.linePos[0].line})` : '';
    return { ok: false, errors: [`(yaml)${where}: ${(err as Error).message.split('\n')[0]}`] };
  }
  return validateClusterConfig(raw);
}
