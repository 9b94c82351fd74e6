import { spawnSync } from 'node:child_process';
import { GatewayMetrics } from '../../src/gateway/metrics.js';
import { parsePrometheusText } from '../../src/loadgen/metrics-scrape.js';

/** Whether Prometheus's promtool is on PATH (Debian: `apt-get install prometheus`; CI installs it). */
export function promtoolInstalled(): boolean {
  return spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Why a promtool test is skipped, said where the skip is reported. */
export const promtoolMissing = 'promtool is not installed (apt-get install prometheus); the metrics lint did not run';

/** `promtool check metrics` over an exposition: its exit status and everything it printed. */
export function promtoolCheckMetrics(exposition: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

/**
 * The metric families declared (`# TYPE`) that have no sample. promtool skips a family
 * without samples, so a lint over such a scrape would not look at that family's name.
 */
export function familiesWithoutSamples(exposition: string): string[] {
  const families = [...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => ({ name: m[1]!, type: m[2]! }));
  const sampled = new Set(parsePrometheusText(exposition).map((s) => s.name));
  return families
    .filter(({ name, type }) => (type === 'histogram' || type === 'summary' ? !sampled.has(`${name}_count`) : !sampled.has(name)))
    .map(({ name }) => name);
}

/**
 * The exposition with a zero sample added to each family that has none, so that promtool
 * lints every name (prom-client's default metrics sample some families only later: GC
 * durations after a GC, event-loop lag after its first interval).
 */
export function withEveryFamilySampled(exposition: string): string {
  const empty = new Set(familiesWithoutSamples(exposition));
  return exposition.replace(/^# TYPE (\S+) (\S+)$/gm, (line, name: string, type: string) => {
    if (!empty.has(name)) return line;
    if (type === 'histogram') return `${line}\n${name}_bucket{le="+Inf"} 0\n${name}_sum 0\n${name}_count 0`;
    if (type === 'summary') return `${line}\n${name}_sum 0\n${name}_count 0`;
    return `${line}\n${name} 0`;
  });
}

/** Every series name a scrape of these metrics can carry (a histogram's as _bucket, _sum, _count). */
export async function exportedSeriesNames(metrics: GatewayMetrics): Promise<Set<string>> {
  const names = new Set<string>();
  for (const { name, type } of await metrics.registry.getMetricsAsJSON()) {
    if (String(type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    else names.add(name);
  }
  return names;
}

/** Gateway metrics with one sample in every family, without a gateway (for lint and name checks). */
export function populatedMetrics(options: { defaultMetrics?: boolean } = {}): GatewayMetrics {
  const metrics = new GatewayMetrics(options);
  const meter = metrics.model('mobilenetv2');
  meter.recordRequest(200, 0.05);
  meter.recordBatch(4, 'full', 12);
  meter.recordInvocation('ok', { requestId: 'r1', durationMs: 99.2, billedDurationMs: 100, memoryMb: 1769, maxMemoryUsedMb: 200, initDurationMs: 300, costUsd: 0.000003 });
  metrics.recordError('unknown', 'UNKNOWN_MODEL');
  metrics.setConfig('mobilenetv2', { functionName: 'fn', batchSize: 4, processes: 2, threadsPerProcess: 1, memoryMb: 3538, sloMs: 1000 });
  metrics.tuningEvents.inc({ model: 'mobilenetv2', kind: 'evaluated' });
  metrics.tuningCostPerRequest.set({ model: 'mobilenetv2' }, 1e-6);
  metrics.tuningP99Seconds.set({ model: 'mobilenetv2' }, 0.3);
  metrics.watch({ invocationsInFlight: 0, queueDepths: () => [['mobilenetv2', 0]] });
  return metrics;
}
