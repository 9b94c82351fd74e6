import type { Clock } from '../core/clock.js';
import { LatencyModel } from '../core/latency-model.js';
import { FerryError } from '../core/errors.js';
import { setMemoryMbAsync, type FunctionInvoker } from '../core/invoker.js';
import { LambdaInvoker } from '../platform/lambda/lambda-invoker.js';
import { LocalInvoker } from '../platform/local/local-invoker.js';
import { LocalRuntime } from '../platform/local/runtime.js';
import { runtimeAccessKeyId } from '../platform/local/sigv4.js';
import { trialFunctionName } from '../serving/autotune.js';
import type { ServingObserver } from '../serving/events.js';
import type { Gateway } from '../serving/gateway.js';
import type { ServiceTimePriorFor } from '../serving/model-batcher.js';
import { profileServiceTimePrior } from '../serving/profile-prior.js';
import { loadProfile } from '../models/files.js';
import type { ModelConfig } from '../serving/model-config.js';
import { StatusRecorder } from '../serving/status-recorder.js';
import { systemClock } from '../util/system-clock.js';
import { statusJson } from './dashboard.js';
import { createHttpServer, type GatewayHttpServer } from './http-server.js';
import type { GatewayMetrics } from './metrics.js';
import { meteredGateway } from './metrics-observer.js';
import { shutdownGateway } from './shutdown.js';

/**
 * A function may run this long; the gateway gives an invocation a little more before it
 * stops waiting, so that a timed-out invocation is over on the platform too (otherwise it
 * would hold an instance beyond the gateway's in-flight bound, and the next ones see 429s).
 */
export const functionTimeoutS = 30;
export const invocationTimeoutMs = functionTimeoutS * 1000 + 5000;

export type Backend =
  | { kind: 'local'; cacheDir: string; keepAliveMs: number }
  /** `runtimeSecret`: the shared secret of a ferry runtime at `endpoint` (FERRY_RUNTIME_SECRET), used as SigV4 credentials. */
  | { kind: 'lambda'; region?: string; endpoint?: string; runtimeSecret?: string };

export interface ServingOptions {
  models: Record<string, ModelConfig>;
  backend: Backend;
  /** Invocations in flight at once (and the local runtime's concurrency). */
  concurrency: number;
  /** Instances warmed before serving (and after a configuration change), at most. @default concurrency */
  warmInstances?: number;
  maxQueue: number;
  host: string;
  port: number;
  token?: string;
  logger?: boolean;
  /** Subscribers of serving besides /metrics (the tuner, the dashboard). */
  observers?: ServingObserver[];
  /** The batcher's first guess of service time, per model. @default from the model's shipped profile */
  serviceTimePrior?: (model: string) => ServiceTimePriorFor | undefined;
  /** A model's latency model, for the dashboard's per-request estimate. @default the shipped profile's */
  latencyModel?: (model: string) => LatencyModel | undefined;
  /** @default the system clock */
  clock?: Clock;
  /** Progress lines (warm-up). */
  print?: (line: string) => void;
  /**
   * The embedded runtime also registers each model's trial-lane function (trialFunctionName),
   * for tuning trials on a slice of the traffic. On Lambda it is deployed like the model's own.
   */
  trialLanes?: boolean;
}

export interface Serving {
  url: string;
  gateway: Gateway;
  metrics: GatewayMetrics;
  /** What /dashboard and /v2/ferry/status show (subscribe tuning decisions to it). */
  status: StatusRecorder;
  app: GatewayHttpServer;
  /** Drains the gateway, then stops the platform (every instance and worker process). */
  close(): Promise<void>;
}

/**
 * What `ferry serve` runs: the platform (the embedded runtime or AWS Lambda), the gateway
 * over it, every function instance it may use warmed up, and the HTTP server.
 */
export async function startServing(options: ServingOptions): Promise<Serving> {
  const { invoker, runtime } = makeBackend(options);
  const clock = options.clock ?? systemClock();
  const status = new StatusRecorder(clock, { latencyModel: options.latencyModel ?? shippedLatencyModel });
  const { gateway, metrics } = meteredGateway({
    invoker, clock, models: options.models, maxQueue: options.maxQueue,
    dispatcher: { maxInFlight: options.concurrency, invocationTimeoutMs, random: Math.random },
    ...(options.warmInstances !== undefined ? { maxWarmInstances: options.warmInstances } : {}),
    observers: [status, ...(options.observers ?? [])],
    serviceTimePrior: options.serviceTimePrior ?? shippedServiceTimePrior,
  });
  const stopPlatform = async () => {
    await invoker.close();
    await runtime?.close();
  };
  try {
    for (const [model, config] of Object.entries(options.models)) {
      if (options.backend.kind === 'lambda') await setMemoryMbAsync(invoker, config.functionName, config.memoryMb);
      if (options.backend.kind === 'lambda' && options.trialLanes) await checkTrialFunction(invoker, config.functionName);
      const warm = options.warmInstances ?? options.concurrency;
      options.print?.(`ferry: warming up ${warm} instance(s) of ${model} (${config.memoryMb} MB, ${config.processes} process(es) each)...`);
      await gateway.warmUpAsync(model, warm);
    }
  } catch (error) {
    await stopPlatform();
    throw error;
  }
  const app = createHttpServer(gateway, metrics, {
    ...(options.token ? { token: options.token } : {}), logger: options.logger ?? false, status: () => statusJson(status, gateway),
  });
  const url = await app.listen({ port: options.port, host: options.host });
  return {
    url, gateway, metrics, status, app,
    close: async () => {
      await shutdownGateway(app, gateway);
      await stopPlatform();
    },
  };
}

/** On Lambda, the trial lane's function must be deployed beside the model's own. */
async function checkTrialFunction(invoker: FunctionInvoker, functionName: string): Promise<void> {
  const trialName = trialFunctionName(functionName);
  try {
    await invoker.getMemoryMb(trialName);
  } catch (error) {
    throw new FerryError('INVALID_ARGUMENT', `Expected a Lambda function ${trialName} for tuning trials on a slice of the traffic ` +
      `(deploy it as ${functionName} was: ferry deploy --function ${trialName} ...), or --tune-slice 0: ${(error as Error).message}`);
  }
}

function makeBackend(options: ServingOptions): { invoker: FunctionInvoker; runtime?: LocalRuntime } {
  const { backend } = options;
  if (backend.kind === 'lambda') {
    return {
      invoker: new LambdaInvoker({
        ...(backend.region ? { region: backend.region } : {}), ...(backend.endpoint ? { endpoint: backend.endpoint } : {}),
        ...(backend.runtimeSecret ? { credentials: { accessKeyId: runtimeAccessKeyId, secretAccessKey: backend.runtimeSecret } } : {}),
      }),
    };
  }
  const names = (config: ModelConfig) => (options.trialLanes ? [config.functionName, trialFunctionName(config.functionName)] : [config.functionName]);
  const runtime = new LocalRuntime({
    functions: Object.entries(options.models).flatMap(([model, config]) => names(config).map((name) => ({
      name, model, memoryMb: config.memoryMb, timeoutS: functionTimeoutS, handler: 'index.handler',
    }))),
    cacheDir: backend.cacheDir,
    concurrency: options.concurrency,
    keepAliveMs: backend.keepAliveMs,
  });
  return { invoker: new LocalInvoker(runtime), runtime };
}

/** The model's shipped profile as a latency model (undefined where it cannot be read). */
export function shippedLatencyModel(model: string): LatencyModel | undefined {
  try {
    return new LatencyModel(loadProfile(model).rows);
  } catch {
    return undefined;
  }
}

/**
 * The batcher's first guess of service times, from the model's shipped profile (measured
 * on a 2-core machine: a guess for other hosts, replaced by what the gateway measures after
 * three invocations of a configuration); the fallback guess where it cannot be read.
 */
function shippedServiceTimePrior(model: string): ServiceTimePriorFor | undefined {
  const latency = shippedLatencyModel(model);
  return latency && profileServiceTimePrior(latency);
}
