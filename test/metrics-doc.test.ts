import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GatewayMetrics } from '../src/gateway/metrics.js';

describe('docs/metrics.md', () => {
  const doc = readFileSync(new URL('../docs/metrics.md', import.meta.url), 'utf8');
  // The reference table only (the renames table below it names old metrics too).
  const reference = doc.slice(doc.indexOf('\n## Metrics\n'), doc.indexOf('\n## Renamed metrics\n'));
  const documented = new Map([...reference.matchAll(/^\| `([a-z0-9_]+)` \| (\w+) \|/gm)].map((m) => [m[1]!, m[2]!]));

  it('documents every metric the gateway exports, with its type, and no other', async () => {
    const exported = new Map((await new GatewayMetrics().registry.getMetricsAsJSON()).map((m) => [m.name, String(m.type)]));
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(exported));
  });
});
