import { expectedImprovement, initialDesign, probabilityFeasible, safeSubstitute } from './bayes-opt-acquisition.js';
import { isSuperseded, plateauObservations, type BatchWindow } from './batch-cap.js';
import { configKey, ConfigSpace, type Config } from './config-space.js';
import { defaultGpBounds, GaussianProcess, type GpHyperparameters, type GpPrediction } from './gaussian-process.js';
import { fitLinearTrend } from './linear-trend.js';
import { Rng } from './random.js';
import { bracketFeasibility, clearMisses, condemnedBy } from './slo-dominance.js';
import { cheapest, cheapestNearlyMostLikelyFeasible, likelyFeasible, mostLikelyFeasible, mostValuableTrial, type Scored } from './bayes-opt-priced.js';
import { bestCostSeries, shouldStop } from './bayes-opt-stopping.js';
import { effectiveHorizonS, type SwitchContext, type TrialEconomics } from './tuning-economics.js';
import type { BayesOptOptions, TunerObservation, TuningContext } from './bayes-opt-options.js';

export type { BayesOptOptions, TunerObservation, TuningContext } from './bayes-opt-options.js';

/**
 * GP settings for both models (see the class comment). Each optimization starts from the
 * previous optimum, which moves little from one observation to the next; a random restart
 * joins while data are few and when the history's length is a multiple of 4, to escape a
 * stale optimum (fit() says when hyperparameters are optimized at all).
 */
const gpSettings = {
  bounds: { ...defaultGpBounds, noiseVariance: [3e-3, 0.5] as [number, number] },
  lengthScalePrior: { median: 0.3, logSd: 0.7 },
};
/** Feasibility targets below -this (p99 under 1/20 of the SLO) are clamped to it: how safe a pass is says nothing of the boundary. */
const passSlackFloor = 3;
/** Cost targets above the cheapest observation times this are clamped to it. */
const costClamp = 3;
/** Ridge penalty of the cost GP's linear prior mean (inputs in [0, 1], targets log USD). */
const trendRidge = 0.03;
/**
 * Ridge penalty of the feasibility GP's linear prior mean (`feasibilityTrend`; its targets,
 * log p99 / SLO, are clamped, so the fit is held nearer flat than cost's). 1 found the
 * optimum sooner on every set measured, and had one more failed run of 960 on the shipped
 * surfaces than the optimizer before it, which the rule set beforehand forbade: BENCHMARKS.md.
 */
const slackTrendRidge = 3;
/** Misses enter the feasibility GP capped at this before any window met the SLO (`missSlackCap` after): 20x. */
const missSlackBeforePass = 3;

/** A configuration to evaluate next, why, and the model's P(feasible) for it (when it had one). */
export type Suggestion = Config & { reason: string; pFeasible?: number };

export interface BestObservation {
  config: Config;
  costUsdPerRequest: number;
  p99Ms: number;
}

interface Evaluation extends BestObservation {
  meanBatchSize?: number;
  index: number;
  episode: number;
  rate: number | undefined;
  input: number[];
  logCost: number;
  /** log(p99 / SLO), clamped to [-passSlackFloor, uncappedMissSlack()]; fit() caps misses at missSlackCap once a window passed. */
  slack: number;
}

function batchWindow(e: Evaluation): BatchWindow {
  return { config: e.config, feasible: e.slack <= 0, ...(e.meanBatchSize === undefined ? {} : { meanBatchSize: e.meanBatchSize }) };
}

/** A posterior over the encoded space: a GP, or a GP plus its trend. */
interface Predictor {
  predict(point: readonly number[]): GpPrediction;
}

/** The GP fitted to what `trend` leaves, with the trend added back. */
function withTrend(residualGp: GaussianProcess, trend: (point: readonly number[]) => number): Predictor {
  return {
    predict: (point) => {
      const residual = residualGp.predict(point);
      return { mean: trend(point) + residual.mean, variance: residual.variance };
    },
  };
}

/**
 * Online Bayesian optimization of (memory, batch size, processes), after CherryPick (NSDI
 * '17) and COSE (INFOCOM '20): minimize cost per request subject to p99 <= SLO, with no
 * prior profiling.
 *
 * - Two GPs (gaussian-process.ts) over the encoded configuration (config-space.ts): one on
 *   log(cost per request), clamped at 3x the cheapest feasible observation (of all while
 *   none is feasible: counted from a cheap infeasible one, the clamp can fall below the
 *   incumbent and flatten the region the search must rank). A 7x-dearer corner then
 *   reads as "bad" and does not set the length scales that the basin near the optimum
 *   needs. The other GP is on g = log(p99 / SLO), clamped to [-3, 1] (feasible iff g <= 0;
 *   past 2.7x the SLO the size of a miss says nothing about where the boundary is, and an
 *   out-of-memory window at 20x made a step the GP spread over the sizes above it:
 *   `missSlackCap`; priced, [-3, 3]; to [-3, 3] also until some window met the SLO:
 *   `uncappedMissesBeforePass`), its targets standardized by no less than half an e-fold
 *   (`feasibilityMinStd`).
 *   The cost GP's prior mean is a linear trend in the inputs (linear-trend.ts, ridge 0.03),
 *   fitted to the same targets: it extrapolates "dearer with more idle share" into corners
 *   the GP has not seen, where a zero-mean GP predicts the average. Unpriced, the
 *   feasibility GP's is one too (ridge 3, `feasibilityTrend`): "faster with more memory per
 *   process and smaller batches".
 *   Hyperparameters: MAP with a weak log-normal prior on length scales (median 0.3, log sd
 *   0.7) and a noise variance of at least 3e-3 of the standardized target: with a handful
 *   of points, plain maximum likelihood picks extreme scales and interpolates the noise,
 *   and the optimizer then trusts a wrong model (measured: fewer evaluations to target).
 * - Batch-capped windows (batch-cap.ts): when an observation says the SLO deadline, not
 *   the batch size, limited the batches (its mean batch size), the larger batch sizes at
 *   that memory and process count cost the same. They are not proposed (unless one may
 *   still meet an SLO the window missed), and the cost GP gets each as a virtual
 *   observation at the measured cost (the plateau's two ends, which the GP joins: every
 *   batch size would enlarge the GP for little more; measured, the same evaluations to
 *   target at a third of the fitting time), so a window teaches the model a plateau.
 * - Acquisition, over the whole discrete grid minus what this episode evaluated or a
 *   capped window superseded: expected improvement on log cost over the best feasible
 *   observation (xi = 0.01: ask for 1%) times P(feasible). Before anything feasible is
 *   seen: maximize P(feasible), except in a warm episode, where the reference is the
 *   lowest predicted cost among points the model thinks likely feasible (P >= 0.5).
 * - Initial design (every episode): 3 points, the best of 64 random Latin hypercubes over
 *   (memory, batch) by the maximin distance, each at the most processes its memory allows,
 *   evaluated centre first (bayes-opt-acquisition.ts); memory sizes up to
 *   `designMaxMemoryMb` (all by default; serve's priced tuner: 2 points up to 3008 MB).
 * - Safe exploration: once the feasibility GP has data, no point with P(feasible) below
 *   `minFeasibleProbability` is proposed (design points included: an unsafe one is swapped
 *   for the safe point farthest from what was evaluated), except, unpriced, the incumbent's
 *   neighbours (`neighbourExemption`: its grid neighbours, and with `scaledNeighbours`
 *   twice and half its processes on twice and half its memory); if no point reaches it,
 *   the most likely feasible one is. A configuration that missed the SLO by more than 10%
 *   condemns, for the episode, every one with its batch size and processes and no more memory
 *   (`sloDominance`, slo-dominance.ts); unpriced, the memory sizes such a miss and a pass
 *   of one row bracket get at least the odds of a boundary placed uniformly between them
 *   (`cliffBrackets`).
 * - Stopping (bayes-opt-stopping.ts): once the best feasible cost improved by less than 1% over the last 4
 *   evaluations, after at least `minEvaluations` (20), and every neighbour of the
 *   incumbent was evaluated (or 1.5x `minEvaluations` were done), suggest() returns the
 *   incumbent. On the MobileNetV2 surfaces (ferry bench tuner) a floor of 10 left the final
 *   incumbent within 5% of the optimum in about half the runs, 15 in 70%, 20 in 92%
 *   (measured with an earlier optimizer; the benchmark prints the current figure).
 * - Priced exploration (`economics`, what `ferry serve --tune` runs): bayes-opt-priced.ts.
 * - Bounded history (`maxHistory`): the current episode's observations, then the most recent
 *   of earlier episodes; a long run no longer refits every window it ever measured.
 * - Episodes: `restart({ keepHistory })` starts a new tuning episode, e.g. after a change
 *   point in the arrival rate. With the rate as an extra GP input (`context`), keeping history
 *   warm-starts the new episode: its models keep the earlier episodes' observations, and it
 *   still opens with a fresh design (checked for safety by the warm feasibility model),
 *   because the optimum can move far with the rate and the old observations alone pull
 *   the search back to the old optimum (measured: docs/tuning.md). Dropping history is a
 *   cold restart. Within an episode no configuration is proposed twice (unless all were
 *   evaluated); across episodes they may be, since the rate differs.
 *
 * Deterministic for a seed: every random choice draws from one seeded generator.
 */
export class BayesOpt {
  readonly space: ConfigSpace;
  private readonly options: Required<Omit<BayesOptOptions, 'space' | 'context' | 'seed' | 'economics' | 'processInput'>>;
  private readonly economics: TrialEconomics | undefined;
  private readonly rng: Rng;
  private history: Evaluation[] = [];
  private episode = 0;
  private design: number[] | undefined;
  private hp: { cost?: GpHyperparameters; slack?: GpHyperparameters } = {};
  private lastRate: number | undefined;
  /** The configuration last observed: the one in force, which a switch leaves. */
  private lastConfig: Config | undefined;
  private stopped = false;
  private stopReason = 'stopping rule fired: incumbent';

  constructor(options: BayesOptOptions) {
    if (!(options.sloMs > 0)) throw new RangeError(`Expected a positive SLO, got ${options.sloMs}`);
    const space = options.context ? options.space.contextual(options.context) : options.space;
    this.space = options.processInput ? space.withProcessInput() : space;
    this.rng = new Rng(options.seed);
    this.options = {
      sloMs: options.sloMs,
      initialPoints: options.initialPoints ?? 3,
      minFeasibleProbability: options.minFeasibleProbability ?? 0.1,
      xi: options.xi ?? 0.01,
      linearTrend: options.linearTrend ?? true,
      stopWindow: options.stopWindow ?? 4,
      stopImprovement: options.stopImprovement ?? 0.01,
      minEvaluations: options.minEvaluations ?? 20,
      maxHistory: options.maxHistory ?? 120,
      costClampFrom: options.costClampFrom ?? 'feasible',
      sloDominance: options.sloDominance ?? true,
      neighbourExemption: options.neighbourExemption ?? true,
      feasibilityMinStd: options.feasibilityMinStd ?? 0.5,
      // Priced, the cap stays at 3: there it moved the cost matrix by noise (BayesOptOptions).
      missSlackCap: options.missSlackCap ?? (options.economics ? 3 : 1),
      cliffBrackets: options.cliffBrackets ?? true,
      feasibilityTrend: options.feasibilityTrend ?? !options.economics,
      uncappedMissesBeforePass: options.uncappedMissesBeforePass ?? true,
      designMaxMemoryMb: options.designMaxMemoryMb ?? Infinity,
      scaledNeighbours: options.scaledNeighbours ?? true,
    };
    this.economics = options.economics;
    if (!(this.options.maxHistory >= 1)) throw new RangeError(`Expected maxHistory of 1 or more, got ${this.options.maxHistory}`);
    if (!(this.space.memorySizes[0]! <= this.options.designMaxMemoryMb)) {
      throw new RangeError(`Expected a designMaxMemoryMb of at least the smallest memory size (${this.space.memorySizes[0]} MB), got ${this.options.designMaxMemoryMb}`);
    }
    if (!(this.options.missSlackCap > 0)) throw new RangeError(`Expected a positive missSlackCap, got ${this.options.missSlackCap}`);
    if (!(this.options.feasibilityMinStd >= 0)) throw new RangeError(`Expected a feasibilityMinStd of 0 or more, got ${this.options.feasibilityMinStd}`);
  }

  /** Evaluations in the current episode. */
  get evaluations(): number {
    return this.current().length;
  }

  /** Observations the models are fitted on (bounded by maxHistory). */
  get historySize(): number {
    return this.history.length;
  }

  /** True once the stopping rule fired (or the space is exhausted): suggest() exploits. */
  get done(): boolean {
    return this.stopped || this.current().length >= this.space.size;
  }

  /** The cheapest observation of this episode that met the SLO. */
  best(): BestObservation | undefined {
    let best: Evaluation | undefined;
    for (const e of this.current()) if (e.slack <= 0 && (!best || e.costUsdPerRequest < best.costUsdPerRequest)) best = e;
    return best && { config: best.config, costUsdPerRequest: best.costUsdPerRequest, p99Ms: best.p99Ms };
  }

  restart(options: { keepHistory: boolean }): void {
    this.episode++;
    this.design = undefined;
    this.stopped = false;
    this.stopReason = 'stopping rule fired: incumbent';
    if (!options.keepHistory) {
      this.history = [];
      this.hp = {};
    }
  }

  suggest(context?: TuningContext): Suggestion {
    const rate = this.rate(context);
    this.lastRate = rate;
    if (this.done) return this.exploit(this.stopped ? this.stopReason : 'space exhausted: incumbent');
    const seen = new Set(this.current().map((e) => e.index));
    const unseen = this.space.configs.map((_, i) => i).filter((i) => !seen.has(i));
    const windows = this.current().map(batchWindow);
    const clear = clearMisses(this.current(), this.options.sloMs);
    const misses = this.options.sloDominance ? clear : [];
    const fresh = unseen.filter((i) => !windows.some((w) => isSuperseded(this.space, this.space.configs[i]!, w)) && !condemnedBy(this.space.configs[i]!, misses));
    const open = fresh.length > 0 ? fresh : unseen;
    const inputs = this.space.configs.map((c) => this.space.encode(c, rate));
    const warm = this.history.length > this.current().length;
    // A priced warm episode needs no design: the models already predict the new rate.
    const designed = this.economics && warm && this.history.length - this.current().length >= this.options.initialPoints;
    if (!designed && this.current().length < this.options.initialPoints) return this.designPoint(open, inputs);
    const { slackGp, costGp } = this.fit();
    const predicted = inputs.map((x, i) => {
      const cost = costGp.predict(x);
      const slack = slackGp.predict(x);
      return { i, cost, pf: probabilityFeasible(slack.mean, Math.sqrt(slack.variance)) };
    });
    const incumbent = this.best();
    const odds = this.bracketOdds(open, clear);
    const scored = open.map((i) => (odds.has(i) ? { ...predicted[i]!, pf: Math.max(predicted[i]!.pf, odds.get(i)!) } : predicted[i]!));
    const exempt = new Set(incumbent && !this.economics && this.options.neighbourExemption ? this.neighbours(incumbent.config) : []);
    const safe = scored.filter((s) => s.pf >= this.options.minFeasibleProbability || exempt.has(s.i));
    if (safe.length === 0) {
      const pick = mostLikelyFeasible(scored);
      return this.propose(pick.i, `no point has P(feasible) >= ${this.options.minFeasibleProbability}: most likely feasible`, pick.pf);
    }
    let reference = incumbent && Math.log(incumbent.costUsdPerRequest);
    let why = 'constrained EI over the best feasible observation';
    if (reference === undefined && warm) {
      const likely = likelyFeasible(predicted);
      if (likely.length > 0) {
        reference = cheapest(likely).cost.mean;
        why = 'constrained EI over the predicted best (warm start)';
      }
    }
    if (reference === undefined) {
      // Priced, the most likely feasible point is the dearest corner (10 GB and 6 processes
      // meet any SLO): the predicted cheapest of those likely feasible is tried first.
      if (this.economics) return this.likelyFeasibleFallback(predicted, open);
      const pick = mostLikelyFeasible(safe);
      return this.propose(pick.i, 'nothing feasible seen yet: max P(feasible)', pick.pf);
    }
    if (this.economics) return this.pricedPick(safe, predicted, open, reference, why, incumbent?.config, context);
    const score = (s: (typeof safe)[number]) => expectedImprovement(s.cost.mean, Math.sqrt(s.cost.variance), reference, this.options.xi) * s.pf;
    let pick = safe[0]!;
    let pickScore = -Infinity;
    for (const s of safe) {
      const value = score(s);
      if (value > pickScore) {
        pickScore = value;
        pick = s;
      }
    }
    return this.propose(pick.i, `${why}: EI x P(feasible) = ${pickScore.toExponential(2)}`, pick.pf);
  }

  /**
   * Unpriced, P(feasible) from a bracket (slo-dominance.ts) for the open configurations that
   * a clear miss (`misses`, this episode's) and a pass of this episode bracket in their row.
   */
  private bracketOdds(open: readonly number[], misses: readonly Config[]): Map<number, number> {
    const odds = new Map<number, number>();
    if (this.economics || !this.options.cliffBrackets) return odds;
    const passes = this.current().filter((e) => e.slack <= 0).map((e) => e.config);
    for (const i of open) {
      const p = bracketFeasibility(this.space.configs[i]!, misses, passes, this.space.memorySizes);
      if (p !== undefined) odds.set(i, p);
    }
    return odds;
  }

  /**
   * The safe candidate whose trial has the largest expected net value in dollars
   * (tuning-economics.ts); none positive: the episode stops on its incumbent.
   */
  private pricedPick(
    safe: readonly Scored[], predicted: readonly Scored[], open: readonly number[], reference: number, why: string,
    incumbent: Config | undefined, context: TuningContext | undefined,
  ): Suggestion {
    const economics = { ...this.economics!, horizonS: effectiveHorizonS(this.economics!, context) };
    // Where serving goes back to if a trial is not kept: the incumbent, or (warm, none yet)
    // the predicted best of the likely feasible.
    const home = incumbent ?? this.space.configs[cheapest([safe[0]!, ...likelyFeasible(predicted)]).i]!;
    const switchContext: SwitchContext = context ?? {};
    const { pick, valueUsd: pickValue } = mostValuableTrial(safe, {
      space: this.space, economics, referenceLogCost: reference, xi: this.options.xi,
      arrivalRatePerS: context?.arrivalRatePerS ?? this.lastRate ?? 1, from: this.lastConfig, home, switchContext,
    });
    if (!pick || !(pickValue > 0)) {
      // Stopping keeps the episode's incumbent; without a feasible one it would keep a
      // configuration that misses the SLO (seen: 87% within it for three windows). Move to
      // the predicted cheapest of those likely feasible instead, and judge again there.
      if (!incumbent) return this.likelyFeasibleFallback(predicted, open);
      this.stopped = true;
      this.stopReason = `no trial pays for itself over ${economics.horizonS.toFixed(0)} s (best expected net ${pickValue.toExponential(2)} USD): incumbent`;
      return this.exploit(this.stopReason);
    }
    return this.propose(pick.i, `${why}, priced: expected net ${pickValue.toExponential(2)} USD over ${economics.horizonS.toFixed(0)} s`, pick.pf);
  }

  /**
   * The cheapest by the model among the not-yet-evaluated configurations with P(feasible)
   * >= 0.5, else the cheapest of those nearly as likely feasible as the most likely.
   */
  private likelyFeasibleFallback(predicted: readonly Scored[], open: readonly number[]): Suggestion {
    const candidates = open.map((i) => predicted[i]!);
    const likely = likelyFeasible(candidates);
    const pick = likely.length > 0 ? cheapest(likely) : cheapestNearlyMostLikelyFeasible(candidates);
    return this.propose(pick.i, `nothing feasible in this episode yet: ${likely.length > 0 ? 'the predicted cheapest likely feasible' : 'the predicted cheapest of the nearly most likely feasible'}`, pick.pf);
  }

  /** The models' view of one configuration: log cost per request and P(feasible). Needs an observation. */
  predict(config: Config, context?: TuningContext): { logCost: GpPrediction; pFeasible: number } {
    if (this.history.length === 0) throw new RangeError('Expected an observation before a prediction');
    const { costGp, slackGp } = this.fit(true);
    const x = this.space.encode(config, this.rate(context));
    const slack = slackGp.predict(x);
    return { logCost: costGp.predict(x), pFeasible: probabilityFeasible(slack.mean, Math.sqrt(slack.variance)) };
  }

  offers(config: Config): boolean {
    return this.space.has(config);
  }

  observe(config: Config, observation: TunerObservation, context?: TuningContext): void {
    const index = this.space.indexOf(config);
    if (index < 0) throw new RangeError(`Configuration ${configKey(config)} is not in the space`);
    if (!(observation.costUsdPerRequest > 0 && observation.p99Ms > 0)) {
      throw new RangeError(`Expected a positive cost and p99, got ${observation.costUsdPerRequest} USD and ${observation.p99Ms} ms`);
    }
    if (observation.meanBatchSize !== undefined && !(observation.meanBatchSize > 0 && Number.isFinite(observation.meanBatchSize))) {
      throw new RangeError(`Expected a positive mean batch size, got ${observation.meanBatchSize}`);
    }
    const rate = context ? this.rate(context) : this.rate(this.lastRate === undefined ? undefined : { arrivalRatePerS: this.lastRate });
    this.history.push({
      config: { memoryMb: config.memoryMb, batchSize: config.batchSize, processes: config.processes },
      costUsdPerRequest: observation.costUsdPerRequest,
      p99Ms: observation.p99Ms,
      ...(observation.meanBatchSize === undefined ? {} : { meanBatchSize: observation.meanBatchSize }),
      index,
      episode: this.episode,
      rate,
      input: this.space.encode(config, rate),
      logCost: Math.log(observation.costUsdPerRequest),
      slack: Math.min(this.uncappedMissSlack(), Math.max(-passSlackFloor, Math.log(observation.p99Ms / this.options.sloMs))),
    });
    this.lastConfig = this.history[this.history.length - 1]!.config;
    this.trimHistory();
    this.updateStopping();
  }

  /** The largest miss the feasibility GP tells apart: 20x, or a larger `missSlackCap`. */
  private uncappedMissSlack(): number {
    return Math.max(missSlackBeforePass, this.options.missSlackCap);
  }

  /** Drops the oldest observations of earlier episodes beyond maxHistory (then the episode's own oldest). */
  private trimHistory(): void {
    const excess = this.history.length - this.options.maxHistory;
    if (excess <= 0) return;
    const earlier = this.history.filter((e) => e.episode !== this.episode);
    const drop = new Set((earlier.length >= excess ? earlier : this.history).slice(0, excess));
    this.history = this.history.filter((e) => !drop.has(e));
  }

  private updateStopping(): void {
    const series = bestCostSeries(this.current().map((e) => ({ costUsdPerRequest: e.costUsdPerRequest, feasible: e.slack <= 0 })));
    const incumbent = this.best();
    const seen = new Set(this.current().map((e) => e.index));
    const unexplored = incumbent ? this.neighbours(incumbent.config).filter((i) => !seen.has(i)).length : 0;
    const rule = { window: this.options.stopWindow, improvement: this.options.stopImprovement, minEvaluations: this.options.minEvaluations };
    if (shouldStop(series, unexplored, rule)) this.stopped = true;
  }

  /** The incumbent's neighbourhood: its grid neighbours, and unpriced with `scaledNeighbours` its scaled ones. */
  private neighbours(config: Config): number[] {
    const index = this.space.indexOf(config);
    const grid = this.space.neighbours(index);
    return this.options.scaledNeighbours && !this.economics ? [...grid, ...this.space.scaledNeighbours(index)] : grid;
  }

  private current(): Evaluation[] {
    return this.history.filter((e) => e.episode === this.episode);
  }

  private rate(context: TuningContext | undefined): number | undefined {
    if (!this.space.contextRange) return undefined;
    if (!context || !(context.arrivalRatePerS > 0)) throw new RangeError('Expected a context with a positive arrivalRatePerS');
    return context.arrivalRatePerS;
  }

  /**
   * Both models on the whole history. Hyperparameters are re-optimized on every fit while
   * the data are few, then on every 3rd (they settle; the fit is most of a suggestion's
   * time); `diagnostic` fits reuse the last ones and change no state, so predict() leaves
   * the optimizer's choices as they were.
   */
  private fit(diagnostic = false): { costGp: Predictor; slackGp: Predictor } {
    const x = this.history.map((e) => e.input);
    const feasible = this.history.filter((e) => e.slack <= 0);
    const base = this.options.costClampFrom === 'feasible' && feasible.length > 0 ? feasible : this.history;
    const ceiling = Math.min(...base.map((e) => e.logCost)) + Math.log(costClamp);
    const cost = this.history.map((e) => Math.min(e.logCost, ceiling));
    const reuse = this.hp.cost && this.hp.slack && (diagnostic || (x.length >= 12 && x.length % 3 !== 0)) ? this.hp : undefined;
    const restarts = x.length < 10 || x.length % 4 === 0 ? 1 : 0;
    const virtual = plateauObservations(this.space, this.history.map((e, k) => ({ ...batchWindow(e), episode: e.episode, index: e.index, rate: e.rate, logCost: cost[k]! })));
    const costX = [...x, ...virtual.x];
    const costY = [...cost, ...virtual.y];
    const trend = this.options.linearTrend ? fitLinearTrend(costX, costY, trendRidge) : () => 0;
    const settings = (previous: GpHyperparameters | undefined, fixed: GpHyperparameters | undefined) =>
      fixed ? { hyperparameters: fixed } : { ...gpSettings, restarts: diagnostic ? 0 : restarts, rng: this.rng, ...(previous ? { initial: previous } : {}) };
    const residualGp = GaussianProcess.fit(costX, costY.map((y, i) => y - trend(costX[i]!)), settings(this.hp.cost, reuse?.cost));
    // Until some window met the SLO, how far each miss was is the only direction towards
    // the feasible region; after, the cap keeps a cliff from flattening its neighbours.
    const missCap = feasible.length > 0 || !this.options.uncappedMissesBeforePass ? this.options.missSlackCap : this.uncappedMissSlack();
    const slack = this.history.map((e) => Math.min(e.slack, missCap));
    const slackTrend = this.options.feasibilityTrend ? fitLinearTrend(x, slack, slackTrendRidge) : () => 0;
    const slackResidualGp = GaussianProcess.fit(x, slack.map((g, i) => g - slackTrend(x[i]!)), { ...settings(this.hp.slack, reuse?.slack), minTargetStd: this.options.feasibilityMinStd });
    if (!diagnostic) this.hp = { cost: residualGp.hyperparameters, slack: slackResidualGp.hyperparameters };
    return { costGp: withTrend(residualGp, trend), slackGp: withTrend(slackResidualGp, slackTrend) };
  }

  /** The next point of this episode's initial design, or a safe substitute for it. */
  private designPoint(open: number[], inputs: number[][]): Suggestion {
    const base = inputs.map((x) => x.slice(0, ConfigSpace.configDimensions));
    this.design ??= initialDesign(this.space, this.options.initialPoints, this.rng, this.options.designMaxMemoryMb);
    const step = this.current().length;
    const warm = this.history.length > step ? ', models warm from earlier episodes' : '';
    const planned = this.design.find((i) => open.includes(i)) ?? open[0]!;
    if (this.history.length === 0) return this.propose(planned, `initial design ${step + 1}/${this.options.initialPoints} (maximin Latin hypercube)`);
    const { slackGp } = this.fit();
    const pfs = new Map<number, number>();
    const pf = (i: number) => {
      const p = pfs.has(i) ? undefined : slackGp.predict(inputs[i]!);
      if (p) pfs.set(i, probabilityFeasible(p.mean, Math.sqrt(p.variance)));
      return pfs.get(i)!;
    };
    this.design = this.design.filter((i) => i !== planned);
    const minP = this.options.minFeasibleProbability;
    if (pf(planned) >= minP) return this.propose(planned, `initial design ${step + 1}/${this.options.initialPoints} (maximin Latin hypercube${warm})`, pf(planned));
    // Far from this episode's evaluations; a warm episode's first point, far from the earlier episodes'.
    const evaluated = (this.current().length > 0 ? this.current() : this.history).map((e) => base[e.index]!);
    const { index, safe } = safeSubstitute(open, pf, minP, base, evaluated);
    const how = safe ? 'farthest safe point' : `no point has P(feasible) >= ${minP}: most likely feasible`;
    return this.propose(index, `initial design ${step + 1}/${this.options.initialPoints}: planned point unsafe, ${how}${warm}`, pf(index));
  }

  private propose(index: number, reason: string, pFeasible?: number): Suggestion {
    return { ...this.space.configs[index]!, reason, ...(pFeasible === undefined ? {} : { pFeasible }) };
  }

  private exploit(reason: string): Suggestion {
    const best = this.best();
    if (best) return { ...best.config, reason };
    const least = this.current().reduce((a, b) => (b.p99Ms < a.p99Ms ? b : a));
    return { ...least.config, reason: `${reason} (none feasible: lowest p99)` };
  }
}
