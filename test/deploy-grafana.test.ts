import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GatewayMetrics } from '../src/gateway/metrics.js';
import { exportedSeriesNames, promtoolInstalled, promtoolMissing } from './helpers/prometheus.js';
import { metricNamesIn } from './helpers/promql.js';

interface Panel {
  type: string;
  title: string;
  id: number;
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr: string; refId: string }>;
  panels?: Panel[];
}

const dashboard = JSON.parse(readFileSync(new URL('../deploy/grafana/ferry.json', import.meta.url), 'utf8')) as {
  panels: Panel[];
  annotations: { list: Array<{ name: string; expr?: string }> };
  templating: { list: Array<{ name: string; type: string; query: string | { query: string } }> };
};
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

/** Every PromQL query in the dashboard, where it is: panels, annotations, variables (label_values(q, label) -> q). */
const queries: Array<{ where: string; expr: string }> = [
  ...panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr }))),
  ...dashboard.annotations.list.flatMap((a) => (a.expr ? [{ where: `annotation "${a.name}"`, expr: a.expr }] : [])),
  ...dashboard.templating.list.filter((v) => v.type === 'query').map((v) => {
    const query = typeof v.query === 'string' ? v.query : v.query.query;
    return { where: `variable $${v.name}`, expr: /^label_values\((.*),\s*\w+\)$/.exec(query)?.[1] ?? query };
  }),
];

describe('deploy/grafana/ferry.json', () => {
  it('reads metric names out of PromQL', () => {
    expect(metricNamesIn('sum by (model, le) (rate(ferry_x_bucket{model=~"$model",code!="a b"}[$__rate_interval])) / 1e3')).toEqual(['ferry_x_bucket']);
    expect(metricNamesIn('1000 * a_total / ignoring(code) b offset 5m > 0 and on (model) c')).toEqual(['a_total', 'b', 'c']);
    expect(metricNamesIn('histogram_quantile(0.99, sum(rate(d[5m])))')).toEqual(['d']);
  });

  it('has queries in every data panel', () => {
    expect(queries.length).toBeGreaterThan(20);
    const dataPanels = panels.filter((p) => p.type !== 'row');
    expect(dataPanels.filter((p) => (p.targets ?? []).length === 0).map((p) => p.title)).toEqual([]);
  });

  it('names in every query only metrics that ferry exports, and at least one', async () => {
    const exported = await exportedSeriesNames(new GatewayMetrics());
    const unknown = queries.flatMap(({ where, expr }) => metricNamesIn(expr).filter((name) => !exported.has(name)).map((name) => `${where}: ${name}`));
    expect(unknown).toEqual([]);
    expect(queries.filter(({ expr }) => metricNamesIn(expr).length === 0).map(({ where }) => where)).toEqual([]);
  });

  it('reads every panel from the data source the importer picks, with unique ids', () => {
    expect(panels.filter((p) => p.type !== 'row' && p.datasource?.uid !== '${datasource}').map((p) => p.title)).toEqual([]);
    expect(dashboard.templating.list.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
  });

  it('has queries that Prometheus parses (promtool check rules)', (context) => {
    if (!promtoolInstalled()) {
      console.warn(`deploy-grafana.test.ts: PromQL syntax check skipped: ${promtoolMissing}`);
      context.skip(promtoolMissing);
    }
    // Grafana fills its variables in before Prometheus sees a query.
    const fill = (expr: string) => expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m').replace(/\$\w+/g, '.*');
    const rules = queries.map(({ expr }, i) => `      - record: ferry:dashboard_query_${i}\n        expr: ${JSON.stringify(fill(expr))}`).join('\n');
    const dir = mkdtempSync(path.join(tmpdir(), 'ferry-grafana-'));
    try {
      const file = path.join(dir, 'rules.yml');
      writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules}\n`);
      const run = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      expect(`${run.stdout}${run.stderr}`).toMatch(new RegExp(`SUCCESS: ${queries.length} rules found`));
      expect(run.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
