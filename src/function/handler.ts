import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FerryError } from '../core/errors.js';
import type { FunctionResult, ItemAnswer } from '../core/function-event.js';
import { splitEven } from '../core/split.js';
import { parseEvent } from './event-parse.js';
import type { ModelSpec } from './models/registry.js';
import type { WorkerMode } from './worker-handle.js';
import { WorkerPool } from './worker-pool.js';

export interface FunctionOptions {
  /** Where converted models are cached. */
  cacheDir: string;
  /**
   * A folder of ready ONNX files named `<model>.onnx` (a deployment package ships its models
   * so); a model found there is used as is, without conversion.
   */
  modelDir?: string;
  /** @default 'process' (see BENCHMARKS.md: worker processes vs threads) */
  workerMode?: WorkerMode;
}

/** The subset of AWS Lambda's context object the handler looks at. */
export interface LambdaContext {
  awsRequestId?: string;
  getRemainingTimeInMillis?: () => number;
}

export interface InferenceFunction {
  handler(event: unknown, context?: LambdaContext): Promise<FunctionResult>;
  /** OS process ids of a model's workers (empty when none are running). */
  workerPids(modelName: string): number[];
  close(): Promise<void>;
}

/**
 * The ferry function: one instance's state (its warm worker pools, one per model) and the
 * handler that serves a batch across them. Invocations are served one at a time, as
 * Lambda does per instance.
 */
export function createFunction(options: FunctionOptions): InferenceFunction {
  const pools = new Map<string, WorkerPool>();
  const modelPaths = new Map<string, Promise<string>>();
  let queue: Promise<unknown> = Promise.resolve();

  /** The model's pool, and how long creating it took (0 when it was already there). */
  const poolFor = async (spec: ModelSpec): Promise<{ pool: WorkerPool; createMs: number }> => {
    const existing = pools.get(spec.name);
    if (existing) return { pool: existing, createMs: 0 };
    const startMs = performance.now();
    let modelPath = modelPaths.get(spec.name);
    if (!modelPath) {
      modelPath = resolveModelFile(spec, options);
      modelPaths.set(spec.name, modelPath);
      modelPath.catch(() => modelPaths.delete(spec.name));
    }
    const pool = new WorkerPool({ modelName: spec.name, modelPath: await modelPath, mode: options.workerMode ?? 'process' });
    pools.set(spec.name, pool);
    return { pool, createMs: performance.now() - startMs };
  };

  const serve = async (event: unknown): Promise<FunctionResult> => {
    const startMs = performance.now();
    const parsed = parseEvent(event);
    const { pool, createMs } = await poolFor(parsed.spec);
    let initMs: number;
    try {
      initMs = createMs + (await pool.resize(parsed.processes, parsed.threadsPerProcess));
    } catch (error) {
      throw new FerryError('WORKER_START_FAILED', (error as Error).message, { cause: error });
    }
    const ranges = splitEven(parsed.items.length, pool.size);
    const results = await pool.run(ranges.map((r) => parsed.items.slice(r.start, r.end)), parsed.topK);
    const outputs: ItemAnswer[] = results.flatMap((result) => result.outputs);
    if (outputs.length !== parsed.items.length) {
      // Ray Serve's rule: a batch that answers the wrong number of items fails loudly.
      throw new Error(`Expected ${parsed.items.length} outputs, got ${outputs.length}`);
    }
    return {
      outputs,
      timings: {
        initMs,
        decodeMs: Math.max(0, ...results.map((r) => r.decodeMs)),
        inferenceMs: Math.max(0, ...results.map((r) => r.inferenceMs)),
        totalMs: performance.now() - startMs,
      },
      processes: pool.size,
      threadsPerProcess: pool.threadsPerProcess,
    };
  };

  return {
    handler: (event) => {
      const answer = queue.then(() => serve(event));
      queue = answer.catch(() => undefined);
      return answer;
    },
    workerPids: (modelName) => pools.get(modelName)?.pids() ?? [],
    close: async () => {
      await queue;
      await Promise.all([...pools.values()].map((pool) => pool.close()));
      pools.clear();
    },
  };
}

async function resolveModelFile(spec: ModelSpec, options: FunctionOptions): Promise<string> {
  if (options.modelDir) {
    const shipped = path.join(options.modelDir, `${spec.name}.onnx`);
    if (existsSync(shipped)) return shipped;
  }
  return spec.resolveFile(options.cacheDir);
}

/** Options from the environment, read once when an instance starts (never at import). */
export function functionOptionsFromEnv(env: NodeJS.ProcessEnv): FunctionOptions {
  const mode = env.FERRY_WORKER_MODE;
  if (mode !== undefined && mode !== 'process' && mode !== 'thread') {
    throw new FerryError('INVALID_ARGUMENT', `Expected FERRY_WORKER_MODE to be process or thread, got "${mode}"`);
  }
  return {
    cacheDir: env.FERRY_CACHE_DIR ?? defaultCacheDir(env),
    workerMode: mode ?? 'process',
    ...(env.FERRY_MODEL_DIR ? { modelDir: env.FERRY_MODEL_DIR } : {}),
  };
}

function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  // On Lambda only /tmp is writable.
  if (env.AWS_LAMBDA_FUNCTION_NAME) return '/tmp/ferry-cache';
  return path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'ferry');
}

let instance: InferenceFunction | undefined;

/** AWS Lambda's Node.js entry point: `handler(event, context)`. */
export async function handler(event: unknown, context?: LambdaContext): Promise<FunctionResult> {
  instance ??= createFunction(functionOptionsFromEnv(process.env));
  return instance.handler(event, context);
}

/**
 * Loads `model` and starts one worker before the first invocation. The local runtime calls
 * it during an instance's INIT phase, so that a cold start includes the model load (as a
 * Lambda function that loads its model in top-level code would).
 */
export async function warmUp(model: string): Promise<void> {
  instance ??= createFunction(functionOptionsFromEnv(process.env));
  await instance.handler({ model, inputs: [] });
}
