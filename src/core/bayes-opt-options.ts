import type { ConfigSpace, ContextRange } from './config-space.js';
import type { SwitchContext, TrialEconomics } from './tuning-economics.js';

/** What the optimizer is told of the moment it is asked or told about: the arrival rate, and what prices a switch. */
export interface TuningContext extends SwitchContext {
  arrivalRatePerS: number;
}

export interface TunerObservation {
  costUsdPerRequest: number;
  p99Ms: number;
  /**
   * Mean number of requests per dispatched batch over the window, if known: below the
   * configured batch size it says the SLO deadline sent the batches (batch-cap.ts).
   */
  meanBatchSize?: number;
}

export interface BayesOptOptions {
  space: ConfigSpace;
  sloMs: number;
  seed: number;
  /** Arrival-rate range: makes the rate a GP input; suggest/observe then need a context. */
  context?: ContextRange;
  /** Latin-hypercube points that open an episode. @default 3 */
  initialPoints?: number;
  /** Safe-exploration floor on P(feasible). @default 0.1 */
  minFeasibleProbability?: number;
  /** EI's margin on log cost (0.01: ask for 1%). @default 0.01 */
  xi?: number;
  /** A linear trend as the cost GP's prior mean (off: a constant, for comparison). @default true */
  linearTrend?: boolean;
  /**
   * Stopping rule: stop once the best feasible cost improved by less than `stopImprovement`
   * (a fraction) over the last `stopWindow` evaluations and at least `minEvaluations` were
   * done in the episode. @default 4, 0.01 and 20
   */
  stopWindow?: number;
  stopImprovement?: number;
  minEvaluations?: number;
  /**
   * Price exploration in dollars (tuning-economics.ts): a candidate is scored by its trial's
   * expected net value instead of EI x P(feasible), the episode stops once no candidate's
   * value is positive, and a warm episode skips its initial design (the models already
   * predict the new rate). Off: the sample-efficiency optimizer of ferry bench tuner.
   */
  economics?: TrialEconomics;
  /**
   * Observations kept for the models, at most: the current episode's all, then the most
   * recent of earlier episodes (a fit is cubic in their number). @default 120
   */
  maxHistory?: number;
  /**
   * What the cost GP's clamp (3x) counts from: 'all', the cheapest observation; 'feasible',
   * the cheapest observation that met the SLO (all while none has). Counted from all, a
   * cheap infeasible corner can put the ceiling below the incumbent: the model then
   * predicts every dear configuration at the ceiling, under the incumbent's cost, and EI
   * sends the search through them (measured on generated surfaces: bench tuner --families).
   * @default 'feasible'
   */
  costClampFrom?: 'all' | 'feasible';
  /**
   * Skip configurations that a clear SLO miss of this episode condemns (slo-dominance.ts):
   * with the feasibility floor below, what removed the last failures on the generated
   * families (big-slow); on the MobileNetV2 surfaces with cost and p99 only it moves a few
   * runs either way (BENCHMARKS.md). @default true
   */
  sloDominance?: boolean;
  /**
   * Unpriced, the incumbent's grid neighbours are candidates whatever their P(feasible): the
   * GP spreads a cliff (a model that does not fit below some memory) over its neighbours,
   * so the first size above it reads as infeasible, and the safety floor hid the optimum
   * for good. One grid step from a configuration measured feasible is the search a person
   * would do; EI x P(feasible) still ranks it. Priced, the floor stands: a trial's value
   * counts dollars, not misses. @default true
   */
  neighbourExemption?: boolean;
  /**
   * The feasibility GP standardizes its targets by their spread, but never by less than this
   * (log p99 / SLO units; 0.5 is half an e-fold): a run of misses that all sit at the +3
   * clamp differs only by the noise, and divided by that spread the noise became a confident
   * pattern (P(feasible) highest next to the last miss, so "most likely feasible" walked the
   * 512 MB row point by point; measured on the big-slow family). @default 0.5
   */
  feasibilityMinStd?: number;
  /**
   * Misses enter the feasibility GP as log(p99 / SLO) capped at this (1: a miss by 2.7x or
   * more counts as 2.7x). Past that the size of a miss says nothing about where the boundary
   * is, and a cliff (a model that does not fit below some memory, p99 20x the SLO) capped at
   * 3 made a step so tall that the GP, which must spread it over the neighbours, predicted
   * the first size above it infeasible with confidence. Measured on the generated surface
   * families with `cliffBrackets` (BENCHMARKS.md): failed runs on two spent holdouts 58 -> 19
   * of 720. Priced (`economics`), the default stays 3: on the cost matrix (5 seeds) a cap of
   * 1 gave $9.63 against $9.64 per million summed and 99.10% against 99.12% mean attainment,
   * which fails the rule set for tuner changes there (docs/tuning.md). @default 1, priced 3
   */
  missSlackCap?: number;
  /**
   * Unpriced, a configuration whose memory size a clear miss and a pass of this episode
   * bracket, at its batch size and processes, is taken as feasible with at least the odds of
   * a boundary placed uniformly between them (slo-dominance.ts, bracketFeasibility): the GP
   * cannot place a step between two points. @default true
   */
  cliffBrackets?: boolean;
  /**
   * The feasibility GP's prior mean is a linear trend in the inputs (linear-trend.ts), as
   * the cost GP's is. A stationary GP reverts to the mean of its targets away from them, so
   * a miss at batch 64 says nothing of batch 64 at the next memory size; the trend carries
   * the direction the windows show (slower with larger batches and less CPU per process) to
   * the rows and corners not yet tried. Measured on the generated surface families and the
   * shipped surfaces (BENCHMARKS.md). Priced, off by default (docs/tuning.md).
   * @default true, priced false
   */
  feasibilityTrend?: boolean;
  /**
   * `missSlackCap` applies once some window of the models' history met the SLO; before,
   * misses count up to 20x the SLO. With nothing feasible seen, how far each miss was is
   * the only direction towards the feasible region, and capped at 2.7x a miss by 3x and one
   * by 130x read alike (a generated case at 490 req/s found its first pass at the 17th
   * evaluation). @default true
   */
  uncappedMissesBeforePass?: boolean;
  /**
   * The process count as a GP input of its own (ConfigSpace.withProcessInput): the optimum
   * of several generated surfaces is 2 processes at 2,048 MB, which the other inputs put
   * next to 1 process at 1,024 MB, out of memory or too slow there. Off: it removed most
   * failed runs on the data it was chosen on, but on the holdout run after (`mixed-e`) it
   * bought nothing, it took MobileNetV2's surface at 5 req/s and 500 ms past 10
   * evaluations, and priced it cost more on the cost matrix (BENCHMARKS.md has the
   * figures). An experiment switch, kept with its measurements. @default false
   */
  processInput?: boolean;
  /**
   * Unpriced, the incumbent's neighbours (what `neighbourExemption` admits and the stopping
   * rule waits for) include the configurations with twice and half its processes on twice
   * and half its memory (ConfigSpace.scaledNeighbours). Chosen on the generated surface
   * families and judged once on a fresh holdout (`mixed-f`: 20 -> 2 failed runs of 360;
   * BENCHMARKS.md). Priced it does nothing: there a trial's value decides, not neighbours.
   * @default true
   */
  scaledNeighbours?: boolean;
  /**
   * The initial design draws its memory sizes from those up to this. Priced, the design's
   * points are the episode's only trials not weighed in dollars, and an uncapped two-point
   * design always puts one in the upper half of the sizes (3-10 GB); createOnlineTuner caps
   * it (online-tuner.ts has the measurement). EI may still go above the cap once the models
   * say a trial there pays; and a planned point the safety check rejects is replaced by the
   * farthest safe point of the whole space, as before. @default every size of the space
   */
  designMaxMemoryMb?: number;
}
