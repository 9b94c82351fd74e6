import { writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { FerryError } from '../core/errors.js';
import type { TimelineWindow } from './sim-report.js';

export interface PlotSeries {
  policy: string;
  windows: readonly TimelineWindow[];
}

/**
 * The simulator's picture of a run, per policy over time: the arrival rate, what each
 * policy has paid so far, its p99 per window against the SLO, and the configuration in
 * force (batch size, memory, processes). Vega-Lite compiled and rendered to SVG in Node
 * (no browser), and to PNG by sharp's SVG renderer.
 */
export function timelineSpec(series: readonly PlotSeries[], options: { title: string; sloMs: number }): TopLevelSpec {
  const rows = series.flatMap(({ policy, windows }) => {
    let cumulative = 0;
    return windows.map((w) => {
      cumulative += w.costUsd;
      return {
        policy, minute: w.startS / 60, rate: w.arrivalRatePerS, cumulativeUsd: cumulative, p99Ms: w.p99Ms,
        batchSize: w.config.batchSize, memoryMb: w.config.memoryMb, processes: w.config.processes,
      };
    });
  });
  const width = 760;
  const x = { field: 'minute', type: 'quantitative' as const, title: 'minutes into the trace' };
  const color = { field: 'policy', type: 'nominal' as const, title: 'policy' };
  const panel = (title: string, field: string, extra: Record<string, unknown> = {}, mark: Record<string, unknown> = { type: 'line', interpolate: 'step-after' }) => ({
    width, height: 110, mark,
    encoding: { x, y: { field, type: 'quantitative', title, ...extra }, color },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title,
    data: { values: rows },
    vconcat: [
      { width, height: 90, transform: [{ filter: `datum.policy === ${JSON.stringify(series[0]?.policy ?? '')}` }], mark: { type: 'area', color: '#9aa5b1' }, encoding: { x, y: { field: 'rate', type: 'quantitative', title: 'arrivals (req/s)' } } },
      panel('cumulative cost (USD, symlog)', 'cumulativeUsd', { scale: { type: 'symlog', constant: 0.001 } }, { type: 'line' }),
      {
        width, height: 130,
        layer: [
          { mark: { type: 'line', point: { size: 12 } }, encoding: { x, y: { field: 'p99Ms', type: 'quantitative', title: 'p99 per window (ms)', scale: { type: 'log' } }, color } },
          { data: { values: [{ slo: options.sloMs }] }, mark: { type: 'rule', strokeDash: [4, 4], color: 'black' }, encoding: { y: { field: 'slo', type: 'quantitative' } } },
        ],
      },
      panel('batch size', 'batchSize', { scale: { type: 'log', base: 2 } }),
      panel('memory (MB)', 'memoryMb'),
      panel('processes', 'processes'),
    ],
    config: { font: 'sans-serif' },
  } as unknown as TopLevelSpec;
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Writes the plot as SVG or PNG, by the file's extension. */
export async function writePlot(file: string, spec: TopLevelSpec): Promise<void> {
  const svg = await renderSvg(spec);
  if (/\.svg$/i.test(file)) return writeFile(file, svg);
  if (/\.png$/i.test(file)) {
    // A palette PNG: a chart has a few flat colours, and 256 keep its antialiasing; a full
    // RGB one of an hour of six policies is over 300 KB, too large to commit.
    await sharp(Buffer.from(svg), { density: 144 }).flatten({ background: '#ffffff' }).png({ palette: true, compressionLevel: 9 }).toFile(file);
    return;
  }
  throw new FerryError('INVALID_ARGUMENT', `Expected --plot to end in .svg or .png, got "${file}"`);
}
