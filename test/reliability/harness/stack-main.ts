/**
 * The stack under test, in a process of its own (so that its resident memory and open
 * descriptors are its own, and a crash is seen as one): the embedded runtime with the real
 * model, the gateway, and the HTTP server on 127.0.0.1, put together as `ferry serve`
 * puts them (src/gateway/start-serving.ts), with the fault-injection hooks a test needs
 * and an exactly-once ledger kept at the gateway's own seam (Gateway.submit).
 *
 * Started by stack-client.ts with its config as JSON in argv[2]; speaks over IPC.
 */
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { FunctionEvent } from '../../../src/core/function-event.js';
import { isItemError } from '../../../src/core/function-event.js';
import type { FunctionInvoker, InvokeOutcome } from '../../../src/core/invoker.js';
import type { ItemSettlement } from '../../../src/serving/pending-item.js';
import { testCacheDir } from '../../helpers/function.js';
import { anyThreadRunning, childrenOf, descriptorKinds, footprint, processAgeS, processState } from './proc.js';
import { images, type StackCommand, type StackConfig, type StackStats } from './protocol.js';

/**
 * The stack runs the built package (dist/, as `ferry serve` does), typed by the sources:
 * an instance started from dist/ is plain JavaScript, where one started from the sources
 * would compile TypeScript on every cold start, and cold starts are part of what is tested.
 */
const dist = (module: string) => import(new URL(`../../../dist/${module}`, import.meta.url).href);
const { createHttpServer } = (await dist('gateway/http-server.js')) as typeof import('../../../src/gateway/http-server.js');
const { meteredGateway } = (await dist('gateway/metrics-observer.js')) as typeof import('../../../src/gateway/metrics-observer.js');
const { shutdownGateway } = (await dist('gateway/shutdown.js')) as typeof import('../../../src/gateway/shutdown.js');
const { LambdaInvoker } = (await dist('platform/lambda/lambda-invoker.js')) as typeof import('../../../src/platform/lambda/lambda-invoker.js');
const { createLambdaApi, listen } = (await dist('platform/local/lambda-api.js')) as typeof import('../../../src/platform/local/lambda-api.js');
const { LocalInvoker } = (await dist('platform/local/local-invoker.js')) as typeof import('../../../src/platform/local/local-invoker.js');
const { LocalRuntime } = (await dist('platform/local/runtime.js')) as typeof import('../../../src/platform/local/runtime.js');
const { runtimeAccessKeyId } = (await dist('platform/local/sigv4.js')) as typeof import('../../../src/platform/local/sigv4.js');
const { systemClock } = (await dist('util/system-clock.js')) as typeof import('../../../src/util/system-clock.js');

const config = JSON.parse(process.argv[2] ?? '{}') as StackConfig;
const send = (message: unknown) => process.send?.(message);

const sleeperDir = fileURLToPath(new URL('../../fixtures/sleep-function', import.meta.url));
const functions = [
  { name: 'mobilenetv2', model: 'mobilenetv2', memoryMb: config.memoryMb, timeoutS: config.timeoutS, handler: 'index.handler' },
  // Another tenant of the same account: invoking it holds concurrency, as on Lambda.
  { name: 'sleeper', model: 'mobilenetv2', memoryMb: 1769, timeoutS: 120, handler: 'index.handler', codeDir: sleeperDir },
];
const makeRuntime = () =>
  new LocalRuntime({ functions, cacheDir: testCacheDir, concurrency: config.concurrency, keepAliveMs: 600_000, initTimeoutMs: 30_000 });

const stats: StackStats = {
  accepted: 0, answeredOnce: 0, pending: 0, doubled: 0, withdrawn: 0, refusedByCode: {}, answersByCode: {},
  invocations: {}, crashedItems: 0, exitErrors: 0, timedOut: 0, throttled: 0, itemsInvoked: {}, queueDepthMax: 0,
  queueDepth: 0, rssMb: 0, fds: 0, fdKinds: {}, instances: 0, holdsRunning: 0,
};
const bump = (map: Record<string, number>, key: string, by = 1) => {
  map[key] = (map[key] ?? 0) + by;
};
const imageName = new Map(Object.entries(images).map(([name, b64]) => [b64, name]));

/** Counts what reaches the platform and how it ends: the evidence that a fault hit items. */
class RecordingInvoker implements FunctionInvoker {
  readonly kind: string;
  constructor(public target: FunctionInvoker) {
    this.kind = target.kind;
  }

  invoke(functionName: string, event: FunctionEvent, done: (outcome: InvokeOutcome) => void): void {
    for (const input of event.inputs) bump(stats.itemsInvoked, 'image' in input ? (imageName.get(input.image) ?? 'other') : 'tensor');
    this.target.invoke(functionName, event, (outcome) => {
      bump(stats.invocations, outcome.ok ? 'ok' : `${outcome.error.kind}:${outcome.error.errorType}`);
      if (outcome.ok) stats.crashedItems += outcome.result.outputs.filter((o) => isItemError(o) && o.error.code === 'WORKER_CRASHED').length;
      else if (outcome.error.errorType === 'Runtime.ExitError') stats.exitErrors++;
      else if (outcome.error.errorType === 'Sandbox.Timedout') stats.timedOut++;
      else if (outcome.error.kind === 'throttled') stats.throttled++;
      done(outcome);
    });
  }

  getMemoryMb(name: string) {
    return this.target.getMemoryMb(name);
  }

  setMemoryMb(name: string, memoryMb: number, done: (error?: Error) => void) {
    this.target.setMemoryMb(name, memoryMb, done);
  }

  close() {
    return this.target.close();
  }
}

let runtime = makeRuntime();
let lambdaApi: Server | undefined;
let platform: FunctionInvoker;
if (config.backend === 'lambda') {
  lambdaApi = createLambdaApi(runtime, config.secret ? { secret: config.secret } : {});
  const { port } = await listen(lambdaApi, 0);
  platform = new LambdaInvoker({
    endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1',
    credentials: { accessKeyId: runtimeAccessKeyId, secretAccessKey: config.secret ?? 'none' },
  });
} else {
  platform = new LocalInvoker(runtime);
}
const invoker = new RecordingInvoker(platform);
const { gateway, metrics } = meteredGateway({
  invoker, clock: systemClock(), models: {
    mobilenetv2: {
      functionName: 'mobilenetv2', batchSize: config.batchSize, processes: config.processes, threadsPerProcess: 1,
      memoryMb: config.memoryMb, sloMs: config.sloMs,
    },
  },
  maxQueue: config.maxQueue,
  dispatcher: { maxInFlight: config.concurrency, invocationTimeoutMs: config.timeoutS * 1000 + 2000, random: Math.random },
  observers: [{ onArrivals: () => (stats.queueDepthMax = Math.max(stats.queueDepthMax, gateway.queueDepth('mobilenetv2'))) }],
});

// The exactly-once ledger: every request the gateway accepts must see `done` exactly once.
const submit = gateway.submit.bind(gateway);
gateway.submit = (model, inputs, done) => {
  let calls = 0;
  stats.pending++;
  const answered = (answers: ItemSettlement[]) => {
    if (++calls > 1) {
      stats.doubled++;
      return;
    }
    stats.pending--;
    stats.answeredOnce++;
    const failed = answers.find(isItemError);
    bump(stats.answersByCode, failed ? failed.error.code : 'ok');
    done(answers);
  };
  let withdraw: () => number;
  try {
    withdraw = submit(model, inputs, answered);
  } catch (error) {
    stats.pending--;
    bump(stats.refusedByCode, (error as { code?: string }).code ?? 'THROWN');
    throw error;
  }
  stats.accepted++;
  return () => {
    const count = withdraw();
    stats.withdrawn += count;
    return count;
  };
};

/**
 * Warms every instance traffic may use on the runtime itself, not through the gateway:
 * INIT is bounded by the runtime's 30 s here, where the gateway would give up after one
 * invocation timeout, and on a busy machine a cold start can take longer than that.
 * The other tenant's instances start too, so that holding concurrency later is immediate.
 */
async function warmUp(): Promise<void> {
  const event = JSON.stringify({ model: 'mobilenetv2', inputs: [], processes: config.processes, threadsPerProcess: 1 });
  for (let attempt = 1; ; attempt++) {
    const results = await Promise.allSettled([
      ...Array.from({ length: config.concurrency }, () => runtime.invoke('mobilenetv2', event)),
    ]);
    const failed = results.filter((r) => r.status === 'rejected' || r.value.functionError);
    if (failed.length === 0) break;
    if (attempt === 3) throw new Error(`could not warm the instances up: ${JSON.stringify(failed)}`);
  }
  for (let i = 0; i < config.concurrency; i++) await runtime.invoke('sleeper', '{"sleepMs":0}');
}
await warmUp();
const app = createHttpServer(gateway, metrics, config.token ? { token: config.token } : {});
const url = await app.listen({ port: 0, host: '127.0.0.1' });

/** Occupies `slots` of the account's concurrency for `ms`, retrying while the gateway holds them. */
async function hold(slots: number, ms: number): Promise<number> {
  const until = performance.now() + ms;
  let held = 0;
  await Promise.all(Array.from({ length: slots }, async () => {
    while (performance.now() < until - 50) {
      try {
        stats.holdsRunning++;
        await runtime.invoke('sleeper', JSON.stringify({ sleepMs: Math.round(until - performance.now()) }));
        held++;
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 5));
      } finally {
        stats.holdsRunning--;
      }
    }
  }));
  return held;
}

const workersOf = new Map<number, number[]>();
/** See StackCommand 'kill'. */
async function kill(target: 'instance' | 'worker', withinMs: number, signal: NodeJS.Signals): Promise<number | null> {
  const until = performance.now() + withinMs;
  while (performance.now() < until) {
    for (const pid of runtime.instances('mobilenetv2').busyPids) {
      if (target === 'instance') {
        process.kill(pid, signal);
        return pid;
      }
      let workers = workersOf.get(pid);
      if (!workers || workers.some((w) => processState(w) === undefined)) workersOf.set(pid, (workers = childrenOf(pid)));
      // A young worker is a replacement still loading its model: a kill then tests the
      // function's start-up, not a batch (the function waits for a new one, see WorkerPool).
      const running = workers.find((w) => processAgeS(w) > 3 && anyThreadRunning(w));
      if (running !== undefined) {
        process.kill(running, signal);
        workersOf.delete(pid);
        return running;
      }
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return null;
}

async function run(command: StackCommand): Promise<unknown> {
  switch (command.cmd) {
    case 'stats': {
      const { rssMb, fds } = footprint();
      const instances = runtime.instances('mobilenetv2');
      return { ...stats, rssMb, fds, fdKinds: descriptorKinds(), queueDepth: gateway.queueDepth('mobilenetv2'), instances: instances.idle + instances.busy };
    }
    case 'kill':
      return kill(command.target, command.withinMs, command.signal ?? 'SIGKILL');
    case 'hold':
      return hold(command.slots, command.ms);
    case 'memory':
      return runtime.updateConfiguration('mobilenetv2', { MemorySize: command.memoryMb }).MemorySize;
    case 'restart-runtime': {
      // As a crash and a restart of the platform would be: the old one goes, with every
      // instance and invocation on it (it goes while one runs, so that one is lost with
      // it); a new, cold one takes its place at once.
      const until = performance.now() + 5000;
      while (runtime.instances('mobilenetv2').busy === 0 && performance.now() < until) await new Promise((resolve) => setImmediate(resolve));
      const old = runtime;
      runtime = makeRuntime();
      invoker.target = new LocalInvoker(runtime);
      await old.close();
      return runtime.instances('mobilenetv2');
    }
    case 'reset-peaks':
      stats.queueDepthMax = gateway.queueDepth('mobilenetv2');
      return stats.queueDepthMax;
    case 'drain':
      await shutdownGateway(app, gateway);
      await invoker.close();
      lambdaApi?.close();
      await runtime.close();
      return { ...stats, ...footprint() };
  }
}

process.on('message', (raw) => {
  const { id, command } = raw as { id: number; command: StackCommand };
  run(command).then(
    (result) => {
      send({ id, result });
      if (command.cmd === 'drain') setTimeout(() => process.exit(0), 50);
    },
    (error: unknown) => send({ id, error: (error as Error)?.stack ?? String(error) }),
  );
});
process.on('disconnect', () => process.exit(1));
send({ type: 'ready', url, pid: process.pid });
