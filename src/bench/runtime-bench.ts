import { spawn } from 'node:child_process';
import { invokeAsync } from '../core/invoker.js';
import { once } from 'node:events';
import { quantile } from '../core/stats.js';
import { LambdaInvoker } from '../platform/lambda/lambda-invoker.js';
import { createLambdaApi, listen } from '../platform/local/lambda-api.js';
import { LocalRuntime } from '../platform/local/runtime.js';

export interface RuntimeBenchOptions {
  cacheDir: string;
  /** Warm invocations per measurement. @default 300 */
  warmCount: number;
  /** Cold starts per measurement. @default 5 */
  coldCount: number;
}

export interface LatencyRow {
  name: string;
  p50Ms: number;
  p99Ms: number;
  /** p50 divided by the floor's p50 (measured in the same run). */
  vsFloor: number;
}

const emptyEvent = JSON.stringify({ model: 'mobilenetv2', inputs: [] });

/**
 * Overhead of the local runtime: a warm invocation of an empty batch (everything but the
 * inference) and a cold start, each next to a plain child process doing the least the same
 * step needs (an IPC round trip; a process start) as the floor.
 */
export async function runRuntimeBench(options: RuntimeBenchOptions, log: (line: string) => void): Promise<{ warm: LatencyRow[]; cold: LatencyRow[] }> {
  log('warm: plain child process IPC round trip (floor)');
  const floorWarm = await ipcRoundTrips(options.warmCount);
  const runtime = benchRuntime(options.cacheDir, 300_000);
  // keepAliveMs 0 reaps each instance as soon as it is idle, so each call starts cold.
  const coldRuntime = benchRuntime(options.cacheDir, 0);
  const server = createLambdaApi(runtime);
  const address = await listen(server, 0);
  const sdk = new LambdaInvoker({
    endpoint: `http://127.0.0.1:${address.port}`, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    log('warm: local runtime, in-process invoke of an empty batch');
    await runtime.invoke('bench', emptyEvent);
    const inProcess = await timeEach(options.warmCount, () => runtime.invoke('bench', emptyEvent));
    log('warm: local runtime over HTTP with the AWS SDK, empty batch');
    const overHttp = await timeEach(options.warmCount, () => invokeAsync(sdk, 'bench', { model: 'mobilenetv2', inputs: [] }));

    log('cold: plain node process start to first IPC message (floor)');
    const floorCold = await timeEach(options.coldCount, () => processStart());
    log('cold: local runtime cold start (instance process + model load + 1 worker), Init Duration');
    const initMs: number[] = [];
    const coldTotal: number[] = [];
    for (let i = 0; i < options.coldCount; i++) {
      await waitUntilIdle(coldRuntime);
      const startMs = performance.now();
      const result = await coldRuntime.invoke('bench', emptyEvent);
      coldTotal.push(performance.now() - startMs);
      initMs.push(result.billing.initDurationMs ?? Number.NaN);
    }
    const row = (name: string, samples: number[], floor: number[]): LatencyRow => ({
      name,
      p50Ms: round2(quantile(samples, 0.5)),
      p99Ms: round2(quantile(samples, 0.99)),
      vsFloor: round2(quantile(samples, 0.5) / quantile(floor, 0.5)),
    });
    return {
      warm: [
        row('plain child process IPC round trip (floor)', floorWarm, floorWarm),
        row('local runtime, in-process invoke', inProcess, floorWarm),
        row('local runtime, AWS SDK over HTTP', overHttp, floorWarm),
      ],
      cold: [
        row('plain node process start (floor)', floorCold, floorCold),
        row('local runtime Init Duration (REPORT)', initMs, floorCold),
        row('local runtime cold invocation, end to end', coldTotal, floorCold),
      ],
    };
  } finally {
    await sdk.close();
    server.close();
    await Promise.all([runtime.close(), coldRuntime.close()]);
  }
}

function benchRuntime(cacheDir: string, keepAliveMs: number): LocalRuntime {
  return new LocalRuntime({
    functions: [{ name: 'bench', model: 'mobilenetv2', memoryMb: 1769, timeoutS: 60, handler: 'index.handler' }],
    cacheDir,
    concurrency: 64,
    keepAliveMs,
  });
}

async function timeEach(count: number, action: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const startMs = performance.now();
    await action();
    samples.push(performance.now() - startMs);
  }
  return samples;
}

const echoSource = "process.on('message', (m) => process.send(m)); process.send('ready'); process.on('disconnect', () => process.exit(0));";

async function ipcRoundTrips(count: number): Promise<number[]> {
  const child = echoChild();
  await once(child, 'message');
  try {
    return await timeEach(count, async () => {
      child.send(emptyEvent);
      await once(child, 'message');
    });
  } finally {
    child.kill();
  }
}

function echoChild() {
  return spawn(process.execPath, ['-e', echoSource], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
}

async function processStart(): Promise<void> {
  const child = echoChild();
  await once(child, 'message');
  child.kill();
  await once(child, 'exit');
}

async function waitUntilIdle(runtime: LocalRuntime): Promise<void> {
  while (runtime.instances('bench').pids.length > 0) await new Promise((resolve) => setTimeout(resolve, 10));
}

const round2 = (v: number) => Math.round(v * 100) / 100;
