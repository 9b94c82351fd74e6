import { costPeers, episodesSloTarget, oracleRatioTarget, sloTarget, type CellSummary, type PolicySummary, type TargetTally } from './cost-summary.js';

/** The paper's headline saving against one request per invocation (Cai et al., APSys 2023). */
export const paperSavingShare = 0.62;

const policyOrder = ['per-request', 'power-tuned', 'batch', 'aimd', 'static', 'joint-bo', 'oracle'];
const usd = (perM: number) => perM.toFixed(perM < 10 ? 3 : 2);
const pct = (share: number | undefined, digits = 0) => (share === undefined ? '' : `${(share * 100).toFixed(digits)}%`);

/**
 * One line per cell, the median of each policy over the seeds (joint-bo's spread beside
 * it when there are several), and joint-bo's targets: the table BENCHMARKS.md carries.
 */
export function formatCostSummary(cells: readonly CellSummary[]): string[] {
  const present = new Set(cells.flatMap((c) => c.policies.map((p) => p.policy)));
  const policies = [...policyOrder.filter((p) => present.has(p)), ...[...present].filter((p) => !policyOrder.includes(p))];
  const seeds = [...new Set(cells.flatMap((c) => c.seeds))].sort((a, b) => a - b);
  const several = seeds.length > 1;
  const header = ['model', 'trace', 'SLO ms', ...policies.map((p) => (p === 'joint-bo' && several ? 'joint-bo (min-max)' : p)),
    'joint-bo vs per-request', 'vs power-tuned', 'x oracle', 'SLO met', 'SLO met in episodes', 'joint-bo $/M in episodes / settled', 'cheapest but oracle'];
  const lines = [
    `### Summary: ${several ? `the median of each cell over seeds ${seeds.join(', ')}` : `seed ${seeds.join(', ')}`} ($ per million requests)`, '',
    `| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`,
  ];
  for (const cell of cells) {
    const t = cell.targets;
    const jointBo = cell.policies.find((p) => p.policy === 'joint-bo');
    const costs = policies.map((name) => {
      const p = cell.policies.find((q) => q.policy === name);
      if (!p) return '';
      const text = usd(p.costPerMillionUsd);
      const bold = name === 'joint-bo' && t?.cheapestAtSlo ? `**${text}**` : text;
      return name === 'joint-bo' && several ? `${bold} (${usd(p.minCostPerMillionUsd)}-${usd(p.maxCostPerMillionUsd)})` : bold;
    });
    lines.push(`| ${[cell.model, cell.trace, String(cell.sloMs), ...costs, pct(t?.savingVsPerRequest), pct(t?.savingVsPowerTuned),
      t?.ratioToOracle === undefined ? '' : `${t.ratioToOracle.toFixed(2)}x`, pct(jointBo?.sloAttainment, 2), pct(jointBo?.episodesSloAttainment, 1),
      tuningSplit(jointBo), cell.cheapest ?? ''].join(' | ')} |`);
  }
  lines.push('');
  return lines;
}

function tuningSplit(p: PolicySummary | undefined): string {
  if (p?.episodesCostPerMillionUsd === undefined && p?.settledCostPerMillionUsd === undefined) return '';
  const or = (v: number | undefined) => (v === undefined ? '-' : usd(v));
  return `${or(p.episodesCostPerMillionUsd)} / ${or(p.settledCostPerMillionUsd)}`;
}

/** Issue 11's targets for joint-bo, counted. */
export function formatTargetTally(tally: TargetTally, seeds: readonly number[]): string[] {
  if (tally.cells === 0) return [];
  const of = (n: number) => `${n} of ${tally.cells}`;
  const basis = seeds.length > 1 ? `on the medians over seeds ${seeds.join(', ')}` : `seed ${seeds.join(', ')}`;
  const lines = [
    `Issue 11's targets for joint-bo, ${basis} (${tally.cells} cells):`,
    `- cheaper than every peer (${costPeers.join(', ')}) at >= ${pct(sloTarget)} within the SLO: ${of(tally.cheapestAtSlo)}` +
      (tally.peersMissing > 0 ? ` (${tally.peersMissing} cells lack a peer's row: not counted as cheapest)` : ''),
    `- at most ${oracleRatioTarget}x the oracle: ${of(tally.withinOracle12)}${tally.medianRatioToOracle === undefined ? '' : ` (median ${tally.medianRatioToOracle.toFixed(2)}x)`}`,
    `- >= ${pct(sloTarget)} within the SLO: ${of(tally.sloAtLeast99)}; >= ${pct(episodesSloTarget)} inside tuning episodes: ${of(tally.episodesAtLeast98)}`,
    `- cheaper than per-request: ${of(tally.cheaperThanPerRequest)}; than power-tuned: ${of(tally.cheaperThanPowerTuned)}`,
  ];
  if (tally.bestSaving) {
    const b = tally.bestSaving;
    lines.push(`- best saving against per-request: ${pct(b.savingVsPerRequest)} (${b.model}, ${b.trace}, SLO ${b.sloMs} ms); the paper's ${pct(paperSavingShare)}: ${b.savingVsPerRequest >= paperSavingShare ? 'met' : 'not met'}`);
  }
  lines.push(`- joint-bo's costs summed over the cells: $${tally.sumCostPerMillionUsd.toFixed(2)} per million; mean attainment ${pct(tally.meanSloAttainment, 2)}`);
  const cheapest = Object.entries(tally.cheapestBy).sort((a, b) => b[1] - a[1]).map(([policy, n]) => `${policy} ${n}`);
  if (cheapest.length > 0) lines.push(`- the cheapest policy but the oracle: ${cheapest.join(', ')}`);
  lines.push('');
  return lines;
}
