import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { changePointDetectorNames, createChangePointDetector, isChangePointDetectorName, type ChangePointDetectorName } from '../core/change-point/detectors.js';
import { ConfigSpace, maxProcessesFor } from '../core/config-space.js';
import { FerryError } from '../core/errors.js';
import { largestFittingBatch, memoryShortfall } from '../core/memory-need.js';
import { checkMemoryMb, lambdaLimits } from '../core/pricing.js';
import { functionOptionsFromEnv } from '../function/handler.js';
import { getModel, modelNames } from '../function/models/registry.js';
import { modelInfo } from '../models/catalog.js';
import { startServing } from '../gateway/start-serving.js';
import { TuningLog } from '../gateway/tuning-log.js';
import { subscribeTuningOutput } from '../gateway/tuning-output.js';
import { Autotune, sliceTrials } from '../serving/autotune.js';
import { createOnlineTuner, defaultTuneHorizonS } from '../serving/online-tuner.js';
import { TuningEventSink } from '../serving/events.js';
import { defaultModelConfig, type ModelConfig } from '../serving/model-config.js';
import { cpuQuotaNote } from '../platform/local/cpu-quota.js';
import { systemClock } from '../util/system-clock.js';
import { integerOption, numberOption } from '../util/options.js';
import { onShutdown } from './shutdown.js';

interface ServeFlags {
  port: number;
  host: string;
  model: string[];
  batchSize: number;
  processes: number;
  threads: number;
  memoryMb: number;
  sloMs: number;
  maxQueue: number;
  concurrency?: number;
  warmInstances?: number;
  token?: string;
  backend: 'local' | 'lambda';
  function?: string;
  region?: string;
  endpoint?: string;
  keepAliveMs: number;
  log?: boolean;
  tune?: boolean;
  tuningLog?: string;
  detector: string;
  seed: number;
  tuneWindowRequests: number;
  tuneWindowS: number;
  tuneHorizonS: number;
  tuneSlice: number;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve models over HTTP (Open Inference Protocol v2) with batching, on the embedded runtime or AWS Lambda')
    .option('--port <port>', 'port', integerOption('--port', 0, 65_535), 8080)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--model <name>', `model to serve, repeatable (${modelNames().join(', ')})`, (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--batch-size <n>', 'requests per invocation, at most', integerOption('--batch-size', 1, 64), defaultModelConfig.batchSize)
    .option('--processes <n>', 'worker processes per function instance', integerOption('--processes', 1, 6), defaultModelConfig.processes)
    .option('--threads <n>', 'ONNX Runtime threads per process', integerOption('--threads', 1, 6), defaultModelConfig.threadsPerProcess)
    .option('--memory-mb <mb>', 'function memory (vCPU share = memory / 1769)', integerOption('--memory-mb', 128, 10_240), defaultModelConfig.memoryMb)
    .option('--slo-ms <ms>', 'latency objective per request', integerOption('--slo-ms', 1, 600_000), defaultModelConfig.sloMs)
    .option('--max-queue <n>', 'request items queued per model before 503 (a request of more items is refused with 400)', integerOption('--max-queue', 1, 1_000_000), 1024)
    .option('--concurrency <n>', "invocations in flight at once (default: 4 on the embedded runtime, Lambda's 1000 per region with --backend lambda)", integerOption('--concurrency', 1, 100_000))
    .option('--warm-instances <n>', 'instances warmed up before serving and after a change of configuration, at most (default: --concurrency on the embedded runtime, 4 on Lambda)', integerOption('--warm-instances', 0, 100_000))
    .option('--token <token>', 'require Authorization: Bearer <token> (or set FERRY_TOKEN)')
    .option('--backend <kind>', 'local (embedded runtime) or lambda (AWS)', parseBackend, 'local')
    .option('--function <name>', 'with --backend lambda: the Lambda function serving the model')
    .option('--region <region>', 'with --backend lambda: AWS region')
    .option('--endpoint <url>', 'with --backend lambda: a Lambda-compatible endpoint instead of AWS')
    .option('--keep-alive-ms <ms>', 'embedded runtime: idle instance keep-alive', integerOption('--keep-alive-ms', 0, 86_400_000), 300_000)
    .option('--log', 'log every HTTP request (pino JSON)')
    .option('--tune', 'tune memory, batch size and processes online (Bayesian optimization, re-tuned on arrival-rate change points)')
    .option('--tuning-log <file>', 'with --tune: where tuning decisions are kept (a restart resumes from it)')
    .option('--detector <name>', `with --tune: change-point detector (${changePointDetectorNames.join(', ')})`, 'bocpd')
    .option('--seed <n>', 'with --tune: seed of the optimizer', integerOption('--seed', 0, 2 ** 31), 1)
    .option('--tune-window-requests <n>', 'with --tune: requests per evaluation window, at least', integerOption('--tune-window-requests', 20, 1_000_000), 200)
    .option('--tune-window-s <s>', 'with --tune: seconds per evaluation window, at least', integerOption('--tune-window-s', 1, 86_400), 20)
    .option('--tune-horizon-s <s>', 'with --tune: seconds a configuration found is expected to serve; trials whose expected saving over it does not pay for them are skipped (0: no pricing)', integerOption('--tune-horizon-s', 0, 30 * 86_400), defaultTuneHorizonS)
    .option('--tune-slice <share>', 'with --tune: share of the traffic a trial gets once a configuration within the SLO is known, the rest staying on it, e.g. 0.25 (0: trials take all of it; on Lambda the trial lane is a second function, FUNCTION-trial)', numberOption('--tune-slice', 0, 0.5), 0)
    .action(async (flags: ServeFlags) => {
      const memoryError = checkMemoryMb(flags.memoryMb);
      if (memoryError) throw new FerryError('INVALID_ARGUMENT', memoryError);
      const models = flags.model.length > 0 ? flags.model : ['mobilenetv2'];
      if (flags.backend === 'lambda' && (!flags.function || models.length !== 1)) {
        throw new FerryError('INVALID_ARGUMENT', 'Expected --backend lambda to come with --function NAME and one --model');
      }
      const configs: Record<string, ModelConfig> = Object.fromEntries(models.map((model) => [model, {
        functionName: flags.backend === 'lambda' ? flags.function! : model,
        batchSize: flags.batchSize, processes: flags.processes, threadsPerProcess: flags.threads,
        memoryMb: flags.memoryMb, sloMs: flags.sloMs,
      }]));
      if (flags.tune && !isChangePointDetectorName(flags.detector)) {
        throw new FerryError('INVALID_ARGUMENT', `Expected --detector to be one of ${changePointDetectorNames.join(', ')}, got "${flags.detector}"`);
      }
      const cacheDir = functionOptionsFromEnv(process.env).cacheDir;
      if (flags.backend === 'local') {
        const quota = await cpuQuotaNote();
        if (!quota.enforced) console.warn(`ferry: warning: ${quota.note}`);
        // On a cold cache, converting a model costs seconds of CPU. Done here once, before any
        // instance starts, rather than in every warming instance's INIT at once (under their
        // CPU quotas and Lambda's 10 s INIT limit, which a fresh clone's first start exceeded).
        for (const model of models) {
          const startMs = performance.now();
          const file = await getModel(model).resolveFile(cacheDir);
          const tookMs = performance.now() - startMs;
          if (tookMs > 1000) console.log(`ferry: prepared ${model} (${file}) in ${(tookMs / 1000).toFixed(1)} s; later starts reuse it`);
        }
      }
      for (const model of models) checkFits(model, { memoryMb: flags.memoryMb, batchSize: flags.batchSize, processes: flags.processes });
      if (flags.tune) checkTunable({ memoryMb: flags.memoryMb, batchSize: flags.batchSize, processes: flags.processes });
      const concurrency = flags.concurrency ?? (flags.backend === 'lambda' ? lambdaLimits.defaultConcurrency : 4);
      const clock = systemClock();
      const sink = new TuningEventSink();
      const autotune = flags.tune ? new Autotune(sink, clock) : undefined;
      const token = flags.token ?? process.env.FERRY_TOKEN;
      const serving = await startServing({
        models: configs,
        backend: flags.backend === 'lambda'
          ? {
            kind: 'lambda', ...(flags.region ? { region: flags.region } : {}), ...(flags.endpoint ? { endpoint: flags.endpoint } : {}),
            ...(flags.endpoint && process.env.FERRY_RUNTIME_SECRET ? { runtimeSecret: process.env.FERRY_RUNTIME_SECRET } : {}),
          }
          : { kind: 'local', cacheDir, keepAliveMs: flags.keepAliveMs },
        concurrency, warmInstances: flags.warmInstances ?? Math.min(concurrency, 4), maxQueue: flags.maxQueue, host: flags.host, port: flags.port, clock,
        ...(token ? { token } : {}),
        logger: flags.log === true,
        observers: autotune ? [autotune] : [],
        trialLanes: flags.tune === true && flags.tuneSlice > 0,
        print: (line) => console.log(line),
      });
      sink.subscribe((event) => serving.status.onTuningEvent(event));
      let closeTuningLog = async () => undefined as void;
      if (autotune) {
        const logFile = flags.tuningLog ?? path.join(cacheDir, 'tuning.jsonl');
        await mkdir(path.dirname(logFile), { recursive: true });
        const tuned = models.map((model) => ({
          model, earlier: TuningLog.read(logFile, model),
          tuner: createOnlineTuner({
            sloMs: flags.sloMs, seed: flags.seed, windowRequests: flags.tuneWindowRequests, windowMs: flags.tuneWindowS * 1000, horizonS: flags.tuneHorizonS,
            maxInstances: concurrency,
            memoryNeed: modelInfo(model).memoryNeedMb,
          }),
          detector: createChangePointDetector(flags.detector as ChangePointDetectorName, {}),
        }));
        closeTuningLog = subscribeTuningOutput(sink, { metrics: serving.metrics, logFile, print: (line) => console.log(line) });
        const restored = autotune.start(serving.gateway, tuned, {
          minRequests: flags.tuneWindowRequests, minWindowMs: flags.tuneWindowS * 1000,
          slice: sliceTrials(flags.tuneSlice),
        });
        for (const [model, { replayed, skipped }] of restored) {
          if (replayed + skipped === 0) continue;
          console.log(`ferry tune ${model}: resumed from ${replayed} earlier evaluations in ${logFile}` +
            (skipped > 0 ? ` (${skipped} skipped: their batch does not fit their memory size, or the configuration is no longer tuned)` : ''));
        }
        console.log(`ferry: tuning on (decisions in ${logFile} and /metrics ferry_tuning_*)`);
      }
      const { url } = serving;
      const first = models[0]!;
      console.log(`ferry: serving ${models.join(', ')} on ${url} (${flags.backend} backend, batch ${flags.batchSize}, ` +
        `${flags.processes} process(es), ${flags.memoryMb} MB, SLO ${flags.sloMs} ms)`);
      const auth = token ? ` -H 'Authorization: Bearer ${token}'` : '';
      const sample = first === 'ocr-cls' ? 'samples/text-upright.png' : 'samples/cartoon-house.png';
      console.log(`try:  curl -s${auth} -H 'Content-Type: image/png' --data-binary @${sample} ${url}/v2/models/${first}/classify`);
      console.log(`      metrics: ${url}/metrics   dashboard: ${url}/dashboard`);
      onShutdown(async () => {
        // Stop taking connections, answer everything already accepted, then reap instances.
        await serving.close();
        autotune?.stop();
        await closeTuningLog();
      });
    });
}

/**
 * The tuner measures its first window at the starting configuration and must find it in
 * its space: one outside it (2 processes at 1769 MB, batch 5) stopped tuning at the first
 * window, silently but for a log line. Refused here instead, saying what would do.
 */
export function checkTunable(start: { memoryMb: number; batchSize: number; processes: number }): void {
  const space = new ConfigSpace();
  if (space.indexOf(start) >= 0) return;
  throw new FerryError('INVALID_ARGUMENT', `Expected --tune to start from a configuration it can try: --memory-mb in ${space.memorySizes.join(', ')}, ` +
    `--batch-size in ${space.batchSizes.join(', ')}, --processes at most ${maxProcessesFor(start.memoryMb)} at ${start.memoryMb} MB; ` +
    `got ${start.memoryMb} MB, batch ${start.batchSize}, ${start.processes} process(es)`);
}

/**
 * A batch that does not fit its memory size gets its worker killed out of memory, and its
 * requests answered 502 WORKER_CRASHED, for the whole run: refused at the start instead.
 */
export function checkFits(model: string, config: { memoryMb: number; batchSize: number; processes: number }): void {
  const need = modelInfo(model).memoryNeedMb;
  const shortfall = memoryShortfall(need, config);
  if (!shortfall) return;
  const largest = largestFittingBatch(need, config.memoryMb, config.processes);
  throw new FerryError('INVALID_ARGUMENT', `Expected a batch that fits the function's memory: ${model} at ${shortfall}` +
    (largest >= 1 ? `; use --batch-size ${largest} or less, or more --memory-mb` : '; use more --memory-mb or fewer --processes'));
}

function parseBackend(text: string): 'local' | 'lambda' {
  if (text !== 'local' && text !== 'lambda') throw new FerryError('INVALID_ARGUMENT', `Expected --backend to be local or lambda, got "${text}"`);
  return text;
}

