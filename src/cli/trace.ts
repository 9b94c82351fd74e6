import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { FerryError } from '../core/errors.js';
import type { GeneratorKind } from '../trace/generators.js';
import {
  formatGeneratorSpec, generateArrivals, generatorKeys, generatorKinds, generatorSpecFromParams, type GeneratorSpec,
} from '../trace/generator-spec.js';
import { loadArrivals } from '../trace/load.js';
import { traceStats, type TraceStats } from '../trace/stats.js';
import { formatTraceCsv } from '../trace/trace-csv.js';
import { numberOption } from '../util/options.js';

export interface TraceGenerateFlags {
  kind: string;
  out: string;
  /** The generator's keys as given (`rate-per-s` -> "20"). */
  params: ReadonlyMap<string, string>;
  json?: boolean;
}

export interface TraceGenerateOutput {
  out: string;
  /** The canonical spec: passing it as --trace gives the same arrivals without the file. */
  spec: string;
  stats: TraceStats;
}

export interface TraceStatsFlags {
  trace: string;
  intervalS: number;
  json?: boolean;
}

export type TraceStatsOutput = { label: string } & TraceStats;

/** Every key of every kind once, with what it means for each kind. */
const allKeys = [...new Set(generatorKinds.flatMap((kind) => generatorKeys[kind].map((key) => key.name)))];

export function registerTrace(program: Command): void {
  const trace = program.command('trace').description('arrival traces: generate seeded synthetic ones (CSV), describe any trace or spec');
  const generate = trace
    .command('generate')
    .description(`write a seeded synthetic arrival trace as CSV (timestamp in seconds); kinds: ${generatorKinds.join(', ')}`)
    .requiredOption('--kind <kind>', `one of ${generatorKinds.join(', ')}`)
    .requiredOption('--out <file>', 'CSV file to write');
  for (const name of allKeys) generate.option(`--${name} <value>`, keyHelp(name));
  generate
    .option('--json', 'print { "out", "spec", "stats" }')
    .action((flags: { kind: string; out: string; json?: boolean }, command: Command) => {
      const params = new Map<string, string>();
      for (const name of allKeys) {
        const value = command.getOptionValue(camelCase(name)) as string | undefined;
        if (value !== undefined) params.set(name, value);
      }
      runTraceGenerate({ ...flags, params }, (line) => console.log(line));
    });
  trace
    .command('stats')
    .description('requests, span, mean rate, burstiness (peak/mean over 1 s and 60 s) of a trace CSV or a generator spec')
    .requiredOption('--trace <file|spec>', 'trace CSV (timestamp or count column) or a spec like "gen:diurnal?rate-per-s=20&duration-s=3600&seed=1"')
    .option('--interval-s <s>', 'interval of a count CSV (its counts are spread evenly over it)', numberOption('--interval-s', 0, 86_400, true), 1)
    .option('--json', 'print the figures as one JSON object')
    .action((flags: TraceStatsFlags) => {
      runTraceStats(flags, (line) => console.log(line));
    });
}

/** What `ferry trace generate` does, printing through `print`. */
export function runTraceGenerate(flags: TraceGenerateFlags, print: (text: string) => void): TraceGenerateOutput {
  const spec: GeneratorSpec = generatorSpecFromParams(flags.kind, flags.params, {
    where: `ferry trace generate --kind ${flags.kind}`, keyLabel: (key) => `--${key}`,
  });
  const arrivalsMs = generateArrivals(spec);
  try {
    writeFileSync(flags.out, formatTraceCsv(arrivalsMs));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FerryError('INVALID_ARGUMENT', `Expected --out to be a writable file, got "${flags.out}" (${code ?? (error as Error).message})`, { cause: error });
  }
  const output: TraceGenerateOutput = { out: flags.out, spec: formatGeneratorSpec(spec), stats: traceStats(arrivalsMs) };
  if (flags.json) print(JSON.stringify(output, null, 2));
  else {
    print(`wrote ${flags.out}: ${arrivalsMs.length} arrivals of ${output.spec}`);
    for (const line of statsLines(output.stats)) print(line);
  }
  return output;
}

/** What `ferry trace stats` does, printing through `print`. */
export function runTraceStats(flags: TraceStatsFlags, print: (text: string) => void): TraceStatsOutput {
  const { arrivalsMs, label } = loadArrivals(flags.trace, { countIntervalS: flags.intervalS });
  const output: TraceStatsOutput = { label, ...traceStats(arrivalsMs) };
  if (flags.json) print(JSON.stringify(output, null, 2));
  else {
    print(label);
    for (const line of statsLines(output)) print(line);
  }
  return output;
}

function statsLines(s: TraceStats): string[] {
  const fixed = (value: number | null, digits: number) => (value === null ? '-' : value.toFixed(digits));
  const pct = (value: number | null) => (value === null ? '-' : `${(value * 100).toFixed(1)}%`);
  return [
    `  requests ${s.requests}, span ${(s.spanS / 60).toFixed(1)} min (${s.spanS} s), mean rate ${fixed(s.meanRatePerS, 2)} req/s`,
    `  peak/mean over 1 s ${fixed(s.peakToMean1s, 2)}, over 60 s ${fixed(s.peakToMean60s, 2)}; ` +
      `1 s intervals empty ${pct(s.emptyShare1s)}; inter-arrival CV ${fixed(s.interArrivalCv, 2)}`,
  ];
}

function keyHelp(name: string): string {
  const uses = generatorKinds.flatMap((kind: GeneratorKind) => {
    const key = generatorKeys[kind].find((k) => k.name === name);
    return key ? [`${kind}: ${key.description}${key.default !== undefined ? ` (default ${key.default})` : ''}`] : [];
  });
  return uses.length === generatorKinds.length ? uses[0]!.replace(/^\w+: /, 'all kinds: ') : uses.join('; ');
}

/** Commander's attribute name of `--rate-per-s`: ratePerS. */
function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
