/** One sample line of the Prometheus text format: `name{label="value",...} 1.5`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The gateway counters a load test reads for one model (totals since the gateway started). */
export interface GatewayCounters {
  costUsd: number;
  invocations: number;
  coldStarts: number;
  batchSizeSum: number;
  batchSizeCount: number;
}

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

/**
 * Reads the Prometheus text exposition format (what /metrics answers): comments and blank
 * lines are skipped, label values are unescaped, values may be NaN or +Inf/-Inf. A line
 * that is not a sample is ignored rather than fatal: a scrape must not end a load test.
 */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = sampleLine.exec(line);
    if (!match) continue;
    const labels = parseLabels(match[2] ?? '');
    const value = parseValue(match[3]!);
    if (labels === undefined || value === undefined) continue;
    samples.push({ name: match[1]!, labels, value });
  }
  return samples;
}

/** Sums the samples named `name` whose labels include every pair in `match`. */
export function sumSamples(samples: readonly Sample[], name: string, match: Record<string, string> = {}): number {
  let total = 0;
  for (const sample of samples) {
    if (sample.name !== name) continue;
    if (Object.entries(match).every(([key, value]) => sample.labels[key] === value)) total += sample.value;
  }
  return total;
}

/** The gateway's cost, invocation, cold-start and batch-size counters for `model` (summed over outcomes and batch reasons). */
export function gatewayCounters(text: string, model: string): GatewayCounters {
  const samples = parsePrometheusText(text);
  const of = (name: string) => sumSamples(samples, name, { model });
  return {
    costUsd: of('ferry_cost_usd_total'),
    invocations: of('ferry_invocations_total'),
    coldStarts: of('ferry_cold_starts_total'),
    batchSizeSum: of('ferry_batch_size_sum'),
    batchSizeCount: of('ferry_batch_size_count'),
  };
}

/** What the counters grew by between two scrapes. */
export function counterDelta(before: GatewayCounters, after: GatewayCounters): GatewayCounters {
  return {
    costUsd: after.costUsd - before.costUsd,
    invocations: after.invocations - before.invocations,
    coldStarts: after.coldStarts - before.coldStarts,
    batchSizeSum: after.batchSizeSum - before.batchSizeSum,
    batchSizeCount: after.batchSizeCount - before.batchSizeCount,
  };
}

export function addCounters(a: GatewayCounters, b: GatewayCounters): GatewayCounters {
  return {
    costUsd: a.costUsd + b.costUsd,
    invocations: a.invocations + b.invocations,
    coldStarts: a.coldStarts + b.coldStarts,
    batchSizeSum: a.batchSizeSum + b.batchSizeSum,
    batchSizeCount: a.batchSizeCount + b.batchSizeCount,
  };
}

function parseLabels(text: string): Record<string, string> | undefined {
  const body = text.trim();
  const labels: Record<string, string> = {};
  labelPair.lastIndex = 0;
  for (let match = labelPair.exec(body); match; match = labelPair.exec(body)) {
    labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    if (labelPair.lastIndex === body.length) break;
  }
  // Anything the pairs did not account for makes the line unreadable.
  return body === '' || labelPair.lastIndex === body.length ? labels : undefined;
}

function parseValue(text: string): number | undefined {
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  const value = Number(text);
  return Number.isNaN(value) ? undefined : value;
}
