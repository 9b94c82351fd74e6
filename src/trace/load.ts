import { arrivalsFromCounts, countsOf } from './binning.js';
import { formatGeneratorSpec, generateArrivals, isGeneratorSpec, parseGeneratorSpec, type GeneratorSpec } from './generator-spec.js';
import { readTraceText } from './trace-file.js';
import { parseTraceCsv, type TraceCsv } from './trace-csv.js';

/**
 * Where a command takes a trace (`--trace`, `--series`), it takes either a CSV file in the
 * one grammar (trace-csv.ts) or a generator spec (`gen:mmpp?...`, generator-spec.ts).
 * A path that starts with `gen:` is a spec; write `./gen:...` for such a file.
 */
export interface LoadedTrace {
  /** What the file holds; a generated trace is arrivals in seconds from 0, as `ferry trace generate` writes it. */
  trace: TraceCsv;
  /** The file or the spec with what it held, for reports. */
  label: string;
  /** The spec, when the argument was one. */
  generator?: GeneratorSpec;
}

export function loadTrace(traceArg: string): LoadedTrace {
  if (isGeneratorSpec(traceArg)) {
    const generator = parseGeneratorSpec(traceArg);
    const arrivalsMs = generateArrivals(generator);
    return {
      trace: { kind: 'arrivals', format: 'seconds', column: 'timestamp', arrivalsMs, originMs: 0 },
      label: `${formatGeneratorSpec(generator)} (${arrivalsMs.length} arrivals)`,
      generator,
    };
  }
  const trace = parseTraceCsv(readTraceText(traceArg), traceArg);
  const label = trace.kind === 'counts'
    ? `${traceArg} (${trace.counts.length} intervals of counts, column ${trace.column})`
    : `${traceArg} (${trace.arrivalsMs.length} arrivals, column ${trace.column}: ${trace.format === 'datetime' ? 'date-times' : 'seconds'})`;
  return { trace, label };
}

export interface LoadArrivalsOptions {
  /** The interval of a count trace, whose counts are spread evenly over it (binning.ts). @default 1 */
  countIntervalS?: number;
}

export interface LoadedArrivals {
  /** Arrival times, ascending (ms; only differences matter). */
  arrivalsMs: number[];
  label: string;
}

/** Arrival times from a trace file or a generator spec. */
export function loadArrivals(traceArg: string, options: LoadArrivalsOptions = {}): LoadedArrivals {
  const { trace, label } = loadTrace(traceArg);
  if (trace.kind === 'arrivals') return { arrivalsMs: trace.arrivalsMs, label };
  const intervalS = options.countIntervalS ?? 1;
  return { arrivalsMs: arrivalsFromCounts(trace.counts, intervalS * 1000, traceArg), label: `${label}, spread evenly over ${intervalS} s intervals` };
}

export interface LoadedCounts {
  counts: number[];
  /** Whether the counts were in the file, or arrivals were binned. */
  from: 'counts' | 'arrivals';
  label: string;
}

/** Requests per interval of `intervalS` from a trace file or a generator spec (a count file's intervals are taken to be `intervalS` long). */
export function loadCounts(traceArg: string, intervalS: number): LoadedCounts {
  const { trace, label } = loadTrace(traceArg);
  return { counts: countsOf(trace, intervalS * 1000), from: trace.kind, label };
}
