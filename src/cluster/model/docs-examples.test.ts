// docs/cluster-config.md promises its YAML examples are valid: every ```yaml block in it
// must pass parseClusterConfig(), so the reference cannot drift from the schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseClusterConfig } from './config.ts';

const doc = readFileSync(new URL('../../../docs/cluster-config.md', import.meta.url), 'utf8');
const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

test('docs/cluster-config.md has the 2-node and the 4-node examples', () => {
  assert.equal(blocks.length, 2);
});

blocks.forEach((yaml, i) => {
  test(`docs/cluster-config.md example ${i + 1} is a valid cluster config`, () => {
    const r = parseClusterConfig(yaml);
    assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
    assert.equal(r.config.nodes.length, i === 0 ? 2 : 4);
  });
});
