import { describe, expect, it } from 'vitest';
import { counterDelta, gatewayCounters, parsePrometheusText, sumSamples } from '../../src/loadgen/metrics-scrape.js';
import { invokeAsync } from '../../src/core/invoker.js';
import { NoopInvoker } from '../../src/bench/noop-invoker.js';
import { GatewayMetrics } from '../../src/gateway/metrics.js';

const exposition = `# HELP ferry_cost_usd_total Billed cost in USD (compute + requests)
# TYPE ferry_cost_usd_total counter
ferry_cost_usd_total{model="mobilenetv2"} 0.0012345
ferry_cost_usd_total{model="ocr-cls"} 1.5e-7

# TYPE ferry_invocations_total counter
ferry_invocations_total{model="mobilenetv2",outcome="ok"} 40
ferry_invocations_total{model="mobilenetv2",outcome="throttled"} 2
ferry_cold_starts_total{model="mobilenetv2"} 3
ferry_batch_size_bucket{le="+Inf",model="mobilenetv2",reason="full"} 30
ferry_batch_size_sum{model="mobilenetv2",reason="full"} 240
ferry_batch_size_count{model="mobilenetv2",reason="full"} 30
ferry_batch_size_sum{model="mobilenetv2",reason="deadline"} 25
ferry_batch_size_count{model="mobilenetv2",reason="deadline"} 10
ferry_odd{path="a \\"quoted\\" \\\\ value"} NaN 1700000000000
not a sample line
ferry_invocations_in_flight 0
`;

describe('metrics scrape', () => {
  it('parses samples with labels, escapes, special values and timestamps', () => {
    const samples = parsePrometheusText(exposition);
    expect(samples.find((s) => s.name === 'ferry_odd')?.labels).toEqual({ path: 'a "quoted" \\ value' });
    expect(Number.isNaN(samples.find((s) => s.name === 'ferry_odd')!.value)).toBe(true);
    expect(samples.find((s) => s.name === 'ferry_batch_size_bucket')?.labels.le).toBe('+Inf');
    expect(samples.find((s) => s.name === 'ferry_invocations_in_flight')).toEqual({ name: 'ferry_invocations_in_flight', labels: {}, value: 0 });
    expect(sumSamples(samples, 'ferry_cost_usd_total')).toBeCloseTo(0.00123465, 12);
  });

  it('sums one model over outcomes and batch reasons', () => {
    expect(gatewayCounters(exposition, 'mobilenetv2')).toEqual({
      costUsd: 0.0012345, invocations: 42, coldStarts: 3, batchSizeSum: 265, batchSizeCount: 40,
    });
    expect(gatewayCounters(exposition, 'resnet')).toEqual({ costUsd: 0, invocations: 0, coldStarts: 0, batchSizeSum: 0, batchSizeCount: 0 });
  });

  it('takes the difference of two scrapes', () => {
    const before = gatewayCounters(exposition, 'mobilenetv2');
    const after = gatewayCounters(exposition.replace('} 40', '} 50').replace('0.0012345', '0.0022345'), 'mobilenetv2');
    const delta = counterDelta(before, after);
    expect(delta.invocations).toBe(10);
    expect(delta.costUsd).toBeCloseTo(0.001, 12);
  });

  it("reads what the gateway's own registry exposes", async () => {
    const metrics = new GatewayMetrics();
    const meter = metrics.model('mobilenetv2');
    meter.recordBatch(8, 'full', 12);
    meter.recordBatch(2, 'deadline', 250);
    const outcome = await invokeAsync(new NoopInvoker(), 'fn', { model: 'mobilenetv2', inputs: [] });
    meter.recordInvocation('ok');
    meter.recordInvocation('throttled');
    meter.recordInvocation('ok', outcome.billing!);
    const counters = gatewayCounters(await metrics.registry.metrics(), 'mobilenetv2');
    expect(counters).toMatchObject({ invocations: 3, coldStarts: 0, batchSizeSum: 10, batchSizeCount: 2 });
    expect(counters.costUsd).toBeCloseTo(outcome.billing!.costUsd, 15);
    // Counters are copied from the gateway's sums at each scrape: scraping again adds nothing.
    expect(gatewayCounters(await metrics.registry.metrics(), 'mobilenetv2')).toEqual(counters);
  });
});
