import { fitsInMemory, type MemoryNeed } from './memory-need.js';
import { lambdaLimits, vcpusForMemory } from './pricing.js';

/** One deployment configuration the tuner chooses between. */
export interface Config {
  memoryMb: number;
  batchSize: number;
  processes: number;
}

/**
 * Lambda's memory sizes worth trying: powers of two and the points where the CPU share
 * crosses whole vCPUs (1769 = 1 vCPU, 3538 = 2, 5307 = 3, 7076 = 4), plus 3008 (the old
 * maximum, still a common default) and the 10,240 MB ceiling.
 */
export const defaultMemoryMb: readonly number[] = [512, 768, 1024, 1536, 1769, 2048, 3008, 3538, 4096, 5307, 6144, 7076, 8192, 10240];
export const defaultBatchSizes: readonly number[] = [1, 2, 4, 8, 12, 16, 24, 32, 48, 64];
export const defaultMaxProcesses = 6;

/**
 * The most worker processes worth running at `memoryMb`: max(1, ceil(memoryMb / 1769)),
 * at most `cap`. A process per started vCPU keeps every share busy (the last one partly);
 * one more has no CPU of its own, so it only time-slices with the others and adds a model
 * copy's memory (the profile shows 4 processes on 1 vCPU slower than 1).
 */
export function maxProcessesFor(memoryMb: number, cap = defaultMaxProcesses): number {
  return Math.max(1, Math.min(cap, Math.ceil(memoryMb / lambdaLimits.mbPerVcpu)));
}

export interface ConfigSpaceOptions {
  memoryMb?: readonly number[];
  batchSizes?: readonly number[];
  /** Processes 1..maxProcesses, further limited per memory size by maxProcessesFor. @default 6 */
  maxProcesses?: number;
  /**
   * The model's memory need: configurations whose batch does not fit their memory size are
   * left out (live, the worker running such a batch is killed and its items answer
   * WORKER_CRASHED). Absent: every configuration is kept.
   */
  memoryNeed?: MemoryNeed;
}

/** A range of arrival rates for the contextual (4-input) encoding. */
export interface ContextRange {
  minRatePerS: number;
  maxRatePerS: number;
}

function logUnit(value: number, min: number, max: number): number {
  if (max <= min) return 0;
  const t = (Math.log(value) - Math.log(min)) / (Math.log(max) - Math.log(min));
  return Math.min(1, Math.max(0, t));
}

/** vCPU share per worker process: (memoryMb / 1769) / processes. */
export function sharePerProcess(config: Config): number {
  return vcpusForMemory(config.memoryMb) / config.processes;
}

/** A configuration's identity as text, e.g. "1769/16/1". */
export function configKey(config: Config): string {
  return `${config.memoryMb}/${config.batchSize}/${config.processes}`;
}

/**
 * The discrete tuning space and its encoding as GP inputs in [0, 1]^4 (one more for each of
 * the process count and the arrival rate, where the space has them):
 * - memory on a log scale: its effects are ratios (CPU share, and so service time, scale
 *   with memory; price is linear in it), and the grid is roughly geometric, so log spacing
 *   makes neighbours about equally far apart, as a stationary kernel assumes;
 * - batch size on a log scale for the same reasons: per-request cost amortizes as 1/b,
 *   batch service time grows about linearly in b and the fill wait as (b - 1) / rate, all
 *   multiplicative, and the grid (1..64) is geometric;
 * - the vCPU share per process, s = (memoryMb / 1769) / processes, split at one vCPU into
 *   two inputs, log max(s, 1) and log min(s, 1). A worker process runs one ONNX thread and
 *   cannot use more than one vCPU: above s = 1 the rest of the share is paid for and idle,
 *   so cost grows in proportion to s; below it the process is throttled to its share. Cost
 *   therefore has a kink at s = 1 (the cheapest configurations often sit right on it: 1
 *   process at 1769 MB, 2 at 3538 MB), which a smooth kernel over s alone blurs into a
 *   valley several grid steps wide. Split, each side is smooth in its own input and the
 *   kink is where both are 0. Memory, batch size and s determine the process count, so no
 *   configuration is lost. (Measured on the MobileNetV2 surfaces of ferry bench tuner:
 *   docs/tuning.md.)
 * - optionally (`withProcessInput`), the process count on a log scale. Memory and the share
 *   already fix it, but only through both: 2 processes at 2,048 MB have the share of 1 at
 *   1,024 MB, and a kernel with one length scale per input reads them as neighbours one
 *   memory step apart, though the batch is split in two and an I/O wait overlaps another.
 *   Its own input lets the GPs learn how much the count itself matters. The optimizer
 *   leaves it off by default (BayesOptOptions.processInput says why);
 * - the arrival rate (contextual spaces only) on a log scale within its range, clamped.
 */
export class ConfigSpace {
  readonly configs: readonly Config[];
  /** GP inputs per configuration, without the process input and the context. */
  static readonly configDimensions = 4;
  /** GP inputs: configDimensions, plus one for the process count and one for the arrival rate where the space has them. */
  readonly dimensions: number;
  private readonly index = new Map<string, number>();
  private readonly memoryRange: [number, number];
  private readonly batchRange: [number, number];
  /** The most processes the space offers at each memory size. */
  private readonly processCap = new Map<number, number>();
  /** Smallest and largest vCPU share per process. */
  private readonly shareRange: [number, number];
  private readonly processRange: [number, number];
  /** Distinct memory sizes and batch sizes, ascending. */
  readonly memorySizes: readonly number[];
  readonly batchSizes: readonly number[];

  constructor(
    options: ConfigSpaceOptions | { configs: readonly Config[] } = {},
    readonly contextRange?: ContextRange,
    readonly processInput = false,
  ) {
    let configs: Config[];
    if ('configs' in options) {
      configs = options.configs.map((c) => ({ memoryMb: c.memoryMb, batchSize: c.batchSize, processes: c.processes }));
    } else {
      const memory = options.memoryMb ?? defaultMemoryMb;
      const batches = options.batchSizes ?? defaultBatchSizes;
      const cap = options.maxProcesses ?? defaultMaxProcesses;
      configs = [];
      for (const memoryMb of memory) {
        for (const batchSize of batches) {
          for (let processes = 1; processes <= maxProcessesFor(memoryMb, cap); processes++) configs.push({ memoryMb, batchSize, processes });
        }
      }
      const need = options.memoryNeed;
      if (need) configs = configs.filter((c) => fitsInMemory(need, c));
    }
    for (const c of configs) {
      if (!(c.memoryMb > 0 && c.batchSize >= 1 && c.processes >= 1)) throw new RangeError(`Expected a positive configuration, got ${configKey(c)}`);
      if (this.index.has(configKey(c))) throw new RangeError(`Duplicate configuration ${configKey(c)}`);
      this.index.set(configKey(c), this.index.size);
    }
    if (configs.length === 0) throw new RangeError('Expected at least one configuration');
    if (contextRange && !(contextRange.minRatePerS > 0 && contextRange.maxRatePerS > contextRange.minRatePerS)) {
      throw new RangeError(`Expected 0 < minRatePerS < maxRatePerS, got ${contextRange.minRatePerS}..${contextRange.maxRatePerS}`);
    }
    this.configs = configs;
    this.dimensions = ConfigSpace.configDimensions + (processInput ? 1 : 0) + (contextRange ? 1 : 0);
    const range = (values: number[]): [number, number] => [Math.min(...values), Math.max(...values)];
    this.memoryRange = range(configs.map((c) => c.memoryMb));
    this.batchRange = range(configs.map((c) => c.batchSize));
    for (const c of configs) this.processCap.set(c.memoryMb, Math.max(c.processes, this.processCap.get(c.memoryMb) ?? 1));
    this.shareRange = range(configs.map(sharePerProcess));
    this.processRange = range(configs.map((c) => c.processes));
    this.memorySizes = [...new Set(configs.map((c) => c.memoryMb))].sort((a, b) => a - b);
    this.batchSizes = [...new Set(configs.map((c) => c.batchSize))].sort((a, b) => a - b);
  }

  /** The space made of exactly these configurations (e.g. those of a measured surface). */
  static fromConfigs(configs: readonly Config[]): ConfigSpace {
    return new ConfigSpace({ configs });
  }

  /** The same configurations, encoded with the arrival rate as an input. */
  contextual(range: ContextRange): ConfigSpace {
    return new ConfigSpace({ configs: this.configs }, range, this.processInput);
  }

  /** The same configurations, encoded with the process count as an input of its own. */
  withProcessInput(): ConfigSpace {
    return new ConfigSpace({ configs: this.configs }, this.contextRange, true);
  }

  get size(): number {
    return this.configs.length;
  }

  indexOf(config: Config): number {
    return this.index.get(configKey(config)) ?? -1;
  }

  has(config: Config): boolean {
    return this.index.has(configKey(config));
  }

  /**
   * Grid neighbours of the configuration at `index`: the adjacent memory size and batch size
   * with the other two fixed, and one process more or fewer (indices of those in the space).
   */
  neighbours(index: number): number[] {
    const c = this.configs[index]!;
    const m = this.memorySizes.indexOf(c.memoryMb);
    const b = this.batchSizes.indexOf(c.batchSize);
    const candidates: Config[] = [
      { ...c, memoryMb: this.memorySizes[m - 1] ?? -1 },
      { ...c, memoryMb: this.memorySizes[m + 1] ?? -1 },
      { ...c, batchSize: this.batchSizes[b - 1] ?? -1 },
      { ...c, batchSize: this.batchSizes[b + 1] ?? -1 },
      { ...c, processes: c.processes - 1 },
      { ...c, processes: c.processes + 1 },
    ];
    return candidates.map((n) => this.indexOf(n)).filter((i) => i >= 0);
  }

  /**
   * The configurations with twice and half the processes on (about) twice and half the
   * memory, at the same batch size: the same CPU and memory per process, twice or half of
   * them per instance (each batch split over all of them). A grid neighbour changes one of
   * memory, batch and processes, so from one process at 1,024 MB it reaches 2 processes
   * only at 1,024 MB, half the CPU each: generated surfaces whose only configurations within
   * 5% are 2 processes at 2,048 MB stopped on 1 process at 1,024-1,536 MB (BENCHMARKS.md).
   * Memory is the size nearest the double or the half, within 15% of it; none where no
   * size is.
   */
  scaledNeighbours(index: number): number[] {
    const c = this.configs[index]!;
    const nearest = (targetMb: number) => {
      const size = this.memorySizes.reduce((a, b) => (Math.abs(b - targetMb) < Math.abs(a - targetMb) ? b : a));
      return Math.abs(size - targetMb) <= 0.15 * targetMb ? size : -1;
    };
    const candidates: Config[] = [{ ...c, memoryMb: nearest(2 * c.memoryMb), processes: 2 * c.processes }];
    if (c.processes % 2 === 0) candidates.push({ ...c, memoryMb: nearest(c.memoryMb / 2), processes: c.processes / 2 });
    return candidates.map((n) => this.indexOf(n)).filter((i) => i >= 0);
  }

  /** The most processes the space offers at `memoryMb` (`fallback` for a size not in it). */
  maxProcessesAt(memoryMb: number, fallback = 1): number {
    return this.processCap.get(memoryMb) ?? fallback;
  }

  /** GP input in [0, 1]^dimensions; a contextual space needs the arrival rate. */
  encode(config: Config, arrivalRatePerS?: number): number[] {
    const share = sharePerProcess(config);
    const x = [
      logUnit(config.memoryMb, ...this.memoryRange),
      logUnit(config.batchSize, ...this.batchRange),
      logUnit(Math.max(share, 1), 1, Math.max(1, this.shareRange[1])),
      logUnit(Math.min(share, 1), Math.min(1, this.shareRange[0]), 1),
    ];
    if (this.processInput) x.push(logUnit(config.processes, ...this.processRange));
    if (!this.contextRange) return x;
    if (!(arrivalRatePerS !== undefined && arrivalRatePerS > 0)) {
      throw new RangeError(`Expected a positive arrival rate for a contextual space, got ${String(arrivalRatePerS)}`);
    }
    return [...x, logUnit(arrivalRatePerS, this.contextRange.minRatePerS, this.contextRange.maxRatePerS)];
  }
}
