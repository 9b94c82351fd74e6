/**
 * BayesOpt's stopping rule (the class comment of bayes-opt.ts has the measurements behind
 * it): an episode stops once the best feasible cost improved by less than `improvement` (a
 * fraction) over the last `window` evaluations, after at least `minEvaluations`, and either
 * no grid neighbour of the incumbent is unexplored (the optimum is often a narrow dip that
 * the GP smooths over) or the episode ran half as long again as the minimum.
 */
export interface StoppingRule {
  window: number;
  improvement: number;
  minEvaluations: number;
}

/** Best feasible cost after each evaluation (Infinity before the first feasible one). */
export function bestCostSeries(evaluations: readonly { costUsdPerRequest: number; feasible: boolean }[]): number[] {
  let best = Infinity;
  return evaluations.map((e) => (best = e.feasible ? Math.min(best, e.costUsdPerRequest) : best));
}

/** True if the rule fires after the evaluations whose best-cost series this is. */
export function shouldStop(series: readonly number[], unexploredNeighbours: number, rule: StoppingRule): boolean {
  const n = series.length;
  if (n < Math.max(rule.minEvaluations, rule.window + 1)) return false;
  const then = series[n - 1 - rule.window]!;
  const now = series[n - 1]!;
  if (!(Number.isFinite(then) && now >= then * (1 - rule.improvement))) return false;
  return unexploredNeighbours === 0 || n >= Math.ceil(rule.minEvaluations * 1.5);
}
