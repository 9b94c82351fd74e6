import type { CrossoverRow } from './cost-ladder.js';
import type { CostCell } from './cost-matrix.js';
import type { Crossover } from './cost-reference.js';

const pct = (share: number | undefined) => (share === undefined ? '' : `${(share * 100).toFixed(0)}%`);
const attainment = (share: number | undefined) => (share === undefined ? '' : `${(share * 100).toFixed(2)}%`);
const usd = (perM: number | undefined) => (perM === undefined ? '' : perM.toFixed(perM < 10 ? 3 : 2));
const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(0) : 'inf');
const rate = (perS: number | undefined) => (perS === undefined ? 'never' : perS < 10 ? perS.toFixed(2) : perS.toFixed(0));

/** How the columns are computed, printed under the tables (the formulas the tests check). */
export function costNotes(gatewayHostLabel: string): string[] {
  return [
    'Notes:',
    '- $/M: everything billed (traffic, warm-ups, a policy\'s own tuning invocations) per answered request, x 10^6; the oracle\'s is its bound.',
    '- vs X = 1 - cost / X\'s cost (62% = 62% cheaper; negative: dearer). per-request is the cheaper of 1 and 2 ONNX threads at 3008 MB',
    '  that kept 99% within the SLO (both under each table); power-tuned likewise. x oracle = cost / the oracle bound\'s.',
    '- SLO met in episodes: requests that arrived inside tuning episodes. joint-bo: from traffic start or a change point to the applied',
    '  move to its incumbent, or the window that closed its last trial, or the next change point; batch: its profiling window and the',
    '  60 s after each later re-choice (the switch\'s cold starts); blank for policies without episodes. $/M in episodes: billed for invocations',
    '  dispatched inside episodes (warm-ups included) per request that arrived inside them; settled: the same outside them.',
    `- +host: gateway policies (batch, aimd, joint-bo, oracle) need an always-on gateway host (${gatewayHostLabel}); per-request and`,
    '  power-tuned invoke Lambda directly. +host $/M = $/M + host $/h x trace hours / requests x 10^6.',
    '- host break-even: the arrival rate below which the host eats the saving, rate* = (host $/h / 3600) / ((baseline $/M - policy $/M) / 10^6)',
    '  req/s, at the saving per request measured on this trace ("never": no saving). Batching saves less at lower rates, so the real rate* is higher.',
    '- modelled rows (not simulated): always-on VM = the fewest instances that hold the trace\'s busiest minute, each vCPU running one',
    '  worker at the best batch b with 2 x p99(b) <= SLO (the profile at 1 vCPU), for the whole trace. Lambda Managed Instances = the same',
    '  instance type at EC2 price x 1.15 + $0.20/M requests, sized per 5 minutes to that segment\'s busiest minute, never below its floor.',
  ];
}

function traceLine(cell: CostCell): string {
  const repeated = cell.copies > 1 ? `, repeated ${cell.copies} times end to end to cover ${Math.round(cell.durationS)} s` : '';
  const scale = cell.timeScale !== 1 ? ` at ${cell.timeScale}x` : '';
  return `### ${cell.model}, ${cell.trace}, SLO ${cell.sloMs} ms\n\n${cell.traceLabel}${scale}${repeated}: ${cell.requests} requests over ${cell.durationS.toFixed(0)} s ` +
    `(mean ${cell.meanRatePerS.toFixed(1)} req/s, busiest minute ${cell.peakRatePerS.toFixed(1)} req/s)`;
}

/** One cell as a markdown table, with the per-request variants and each policy's choice under it. */
export function formatCostCell(cell: CostCell): string[] {
  const header = ['policy', '$/M', 'vs per-request', 'vs power-tuned', 'x oracle', 'SLO met', 'SLO met in episodes', '$/M in episodes / settled', 'p99 ms', 'throttled', 'changes', 'cold starts', '+host $/M', '+host vs per-request', '+host vs power-tuned', 'host break-even req/s (vs per-request / power-tuned)'];
  const lines = [traceLine(cell), '', `| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of cell.rows) {
    const episodes = r.episodes ? `${attainment(r.episodes.sloAttainment)} (${r.episodes.requests} req, ${r.episodes.count} ep, ${Math.round(r.episodes.seconds)} s)` : '';
    const host = r.withHost;
    const breakEven = host ? `${rate(host.breakEvenVsPerRequestPerS)} / ${rate(host.breakEvenVsPowerTunedPerS)}` : '';
    lines.push(`| ${[
      r.policy, usd(r.costPerMillionUsd), pct(r.savingVsPerRequest), pct(r.savingVsPowerTuned), r.ratioToOracle === undefined ? '' : `${r.ratioToOracle.toFixed(2)}x`,
      attainment(r.sloAttainment), episodes, r.episodes ? `${usd(r.episodes.costPerMillionUsd)} / ${usd(r.episodes.settledCostPerMillionUsd)}` : '', ms(r.p99Ms), String(r.throttled), String(r.configChanges), String(r.coldStarts),
      usd(host?.costPerMillionUsd), pct(host?.savingVsPerRequest), pct(host?.savingVsPowerTuned), breakEven,
    ].join(' | ')} |`);
  }
  for (const ref of cell.references) {
    lines.push(`| ${ref.name} (modelled) | ${usd(ref.costPerMillionUsd)} | ${pct(ref.savingVsPerRequest)} | ${pct(ref.savingVsPowerTuned)} | | | | | | | | | | | | |`);
  }
  if (!cell.vmCapacity) lines.push('', '(no modelled rows: even one request per batch misses the SLO on one vCPU)');
  lines.push('');
  for (const r of cell.rows) {
    if (r.variants) lines.push(`- ${r.policy}: ${r.variants.map((v) => `${v.name} $${usd(v.costPerMillionUsd)}/M, ${attainment(v.sloAttainment)} within SLO`).join('; ')}`);
  }
  for (const r of cell.rows) lines.push(`- ${r.policy} (${r.wallS.toFixed(1)} s): ${r.detail}`);
  for (const ref of cell.references) lines.push(`- ${ref.name}: ${ref.detail}`);
  lines.push('');
  return lines;
}

function crossover(c: Crossover | undefined): string {
  if (!c) return '';
  if (c.kind === 'below') return `<= ${rate(c.ratePerS)}`;
  if (c.kind === 'above') return `> ${rate(c.ratePerS)}`;
  return rate(c.ratePerS);
}

/** The crossover table: above which steady rate each modelled reference is cheaper. */
export function formatCrossovers(rows: readonly CrossoverRow[], ladderLabel: string): string[] {
  const header = ['model', 'SLO ms', 'VM sizing', 'VM < joint-bo above', 'VM < joint-bo + host', 'VM < power-tuned', 'LMI < joint-bo above', 'LMI < joint-bo + host', 'LMI < power-tuned'];
  const lines = [
    '### When serverless is the wrong answer (modelled references against simulated joint-bo and power-tuned)', '',
    `Steady Poisson arrivals, ${ladderLabel}; rates in req/s, interpolated on log scale between the ladder's rates ("<= r": cheaper at every rate tried; "> r": at none).`, '',
    `| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`,
  ];
  for (const row of rows) {
    const c = row.vmCapacity;
    const sizing = c ? `batch ${c.batchSize}, ${c.itemsPerSPerVcpu.toFixed(0)} req/s per vCPU` : 'SLO not met at batch 1';
    lines.push(`| ${[row.model, String(row.sloMs), sizing, crossover(row.vm?.jointBo), crossover(row.vm?.jointBoWithHost), crossover(row.vm?.powerTuned),
      crossover(row.managedInstances?.jointBo), crossover(row.managedInstances?.jointBoWithHost), crossover(row.managedInstances?.powerTuned)].join(' | ')} |`);
  }
  lines.push('');
  for (const row of rows) {
    lines.push(`- ${row.model}, SLO ${row.sloMs} ms, $/M at each rate (joint-bo / +host / power-tuned / VM / LMI): ` +
      row.points.map((p) => `${p.ratePerS}: ${usd(p.jointBo.costPerMillionUsd)} / ${usd(p.jointBoWithHostPerMillionUsd)} / ${usd(p.powerTuned.costPerMillionUsd)} / ${usd(p.vmPerMillionUsd)} / ${usd(p.managedInstancesPerMillionUsd)}`).join('; '));
  }
  lines.push('');
  return lines;
}
