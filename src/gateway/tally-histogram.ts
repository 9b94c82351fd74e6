import type { Registry } from 'prom-client';

/** One label set's counts: resolve it once, then observe into it with no lookup. */
export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly upperBounds: readonly number[],
  ) {
    this.counts = new Float64Array(upperBounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.upperBounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

interface MetricValue {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * A Prometheus histogram for the gateway's hot path, registered in a prom-client Registry
 * and exposed by it like prom-client's own. prom-client's Histogram hashes the label set,
 * validates it and allocates on every observe(); measured in the gateway under load that
 * was several microseconds per request (BENCHMARKS.md, gateway overhead). Here a caller
 * resolves a label set to its HistogramSeries once and observes into it directly.
 */
export class TallyHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly byKey = new Map<string, HistogramSeries>();
  private readonly upperBounds: readonly number[];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    buckets: readonly number[],
    registry: Registry,
  ) {
    this.upperBounds = [...buckets].sort((a, b) => a - b);
    registry.registerMetric(this as never);
  }

  /** The series of these label values (in `labelNames` order), created on first use. */
  series(...labelValues: string[]): HistogramSeries {
    if (labelValues.length !== this.labelNames.length) {
      throw new RangeError(`Expected ${this.labelNames.length} label values for ${this.name}, got ${labelValues.length}`);
    }
    const key = labelValues.join('\u0000');
    let series = this.byKey.get(key);
    if (!series) {
      series = new HistogramSeries(Object.fromEntries(this.labelNames.map((n, i) => [n, labelValues[i]!])), this.upperBounds);
      this.byKey.set(key, series);
    }
    return series;
  }

  reset(): void {
    this.byKey.clear();
  }

  /** What prom-client's Registry reads: cumulative buckets, +Inf, sum and count per series. */
  get(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    const values: MetricValue[] = [];
    for (const series of this.byKey.values()) {
      let cumulative = 0;
      this.upperBounds.forEach((le, i) => {
        cumulative += series.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le, ...series.labels }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...series.labels }, value: series.count });
      values.push({ metricName: `${this.name}_sum`, labels: { ...series.labels }, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...series.labels }, value: series.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
