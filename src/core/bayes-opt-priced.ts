import { expectedImprovement } from './bayes-opt-acquisition.js';
import type { Config, ConfigSpace } from './config-space.js';
import type { GpPrediction } from './gaussian-process.js';
import { switchCostUsd, trialValueUsd, type SwitchContext, type TrialEconomics } from './tuning-economics.js';

/**
 * Priced exploration, BayesOpt's `economics` option (what `ferry serve --tune` runs): each
 * safe candidate is scored by its trial's expected net value in dollars
 * (tuning-economics.ts): the saving EI x P(feasible) promises over the requests of a
 * horizon, less what the trial window pays above the incumbent and the cold starts of the
 * switches there and back. The episode stops as soon as no candidate's value is positive:
 * at a low arrival rate a 5% saving is not worth a window at a 3x dearer corner, at a high
 * one it is. The horizon is at most the regime length serving reports (`regimeS`). With
 * nothing feasible yet in the episode, the predicted cheapest likely-feasible point is tried
 * instead of stopping or of the most certainly feasible (dearest) corner. A warm episode
 * opens without a design (the contextual models already predict the new rate).
 */

/** A configuration (its index in the space) with the models' view of it. */
export interface Scored {
  i: number;
  cost: GpPrediction;
  pf: number;
}

/** P(feasible) from which the optimizer counts a configuration as likely feasible. */
const likelyFeasibleP = 0.5;

export function likelyFeasible(candidates: readonly Scored[]): Scored[] {
  return candidates.filter((c) => c.pf >= likelyFeasibleP);
}

/** The highest P(feasible) of a non-empty list. */
export function mostLikelyFeasible(candidates: readonly Scored[]): Scored {
  return candidates.reduce((a, b) => (b.pf > a.pf ? b : a));
}

/**
 * Of those nearly as likely feasible as the most likely (at least `share` of its
 * P(feasible)), the predicted cheapest: when no point is likely feasible, the most likely
 * one is the dearest corner (10 GB, 6 processes), which at light traffic bills ten times
 * what the SLO needs for a whole window (measured: 2.37 against 0.2 $/M per request).
 */
export function cheapestNearlyMostLikelyFeasible(candidates: readonly Scored[], share = 0.8): Scored {
  const floor = share * mostLikelyFeasible(candidates).pf;
  return cheapest(candidates.filter((c) => c.pf >= floor));
}

/** The lowest predicted (log) cost of a non-empty list. */
export function cheapest(candidates: readonly Scored[]): Scored {
  return candidates.reduce((a, b) => (b.cost.mean < a.cost.mean ? b : a));
}

export interface TrialPricing {
  space: ConfigSpace;
  economics: TrialEconomics;
  /** Log cost per request a trial's saving is measured against (EI's reference). */
  referenceLogCost: number;
  xi: number;
  arrivalRatePerS: number;
  /** The configuration in force, which a trial leaves (none before the first observation). */
  from: Config | undefined;
  /** Where serving goes back to if the trial is not kept. */
  home: Config;
  switchContext: SwitchContext;
}

/**
 * The candidate whose trial has the largest expected net value in dollars
 * (tuning-economics.ts), and that value (-Infinity for no candidates).
 */
export function mostValuableTrial(candidates: readonly Scored[], pricing: TrialPricing): { pick: Scored | undefined; valueUsd: number } {
  let pick: Scored | undefined;
  let valueUsd = -Infinity;
  for (const s of candidates) {
    const config = pricing.space.configs[s.i]!;
    const value = trialValueUsd({
      logCost: s.cost, pFeasible: s.pf,
      expectedImprovement: expectedImprovement(s.cost.mean, Math.sqrt(s.cost.variance), pricing.referenceLogCost, pricing.xi),
      referenceLogCost: pricing.referenceLogCost, arrivalRatePerS: pricing.arrivalRatePerS,
      switchInUsd: pricing.from ? switchCostUsd(pricing.from, config, pricing.switchContext, pricing.arrivalRatePerS, pricing.economics.maxInstances) : 0,
      switchBackUsd: switchCostUsd(config, pricing.home, pricing.switchContext, pricing.arrivalRatePerS, pricing.economics.maxInstances),
    }, pricing.economics);
    if (value > valueUsd) {
      valueUsd = value;
      pick = s;
    }
  }
  return { pick, valueUsd };
}
