import type { Command } from 'commander';
import { FerryError } from '../core/errors.js';
import type { FunctionInvoker } from '../core/invoker.js';
import { checkMemoryMb } from '../core/pricing.js';
import { functionOptionsFromEnv } from '../function/handler.js';
import { modelNames } from '../function/models/registry.js';
import { Gateway } from '../gateway/gateway.js';
import { createHttpServer } from '../gateway/http-server.js';
import { defaultModelConfig, type ModelConfig } from '../gateway/model-config.js';
import { shutdownGateway } from '../gateway/shutdown.js';
import { LambdaInvoker } from '../platform/lambda/lambda-invoker.js';
import { LocalInvoker } from '../platform/local/local-invoker.js';
import { LocalRuntime } from '../platform/local/runtime.js';
import { systemClock } from '../util/system-clock.js';
import { integerOption } from './options.js';
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
  concurrency: number;
  token?: string;
  backend: 'local' | 'lambda';
  function?: string;
  region?: string;
  endpoint?: string;
  keepAliveMs: number;
  log?: boolean;
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
    .option('--max-queue <n>', 'queued requests per model before 503', integerOption('--max-queue', 1, 1_000_000), 1024)
    .option('--concurrency <n>', 'invocations in flight at once', integerOption('--concurrency', 1, 1000), 4)
    .option('--token <token>', 'require Authorization: Bearer <token> (or set FERRY_TOKEN)')
    .option('--backend <kind>', 'local (embedded runtime) or lambda (AWS)', parseBackend, 'local')
    .option('--function <name>', 'with --backend lambda: the Lambda function serving the model')
    .option('--region <region>', 'with --backend lambda: AWS region')
    .option('--endpoint <url>', 'with --backend lambda: a Lambda-compatible endpoint instead of AWS')
    .option('--keep-alive-ms <ms>', 'embedded runtime: idle instance keep-alive', integerOption('--keep-alive-ms', 0, 86_400_000), 300_000)
    .option('--log', 'log every HTTP request (pino JSON)')
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
      const { invoker, runtime } = makeBackend(flags, configs);
      if (flags.backend === 'lambda') await invoker.setMemoryMb(flags.function!, flags.memoryMb);
      // One cold start per model now rather than on the first request (an empty batch loads
      // the model and starts the worker processes).
      for (const [model, config] of Object.entries(configs)) {
        console.log(`ferry: warming up ${model} (${config.memoryMb} MB, ${config.processes} process(es))...`);
        const warm = await invoker.invoke(config.functionName, { model, inputs: [], processes: config.processes, threadsPerProcess: config.threadsPerProcess });
        if (!warm.ok) throw new FerryError('WORKER_START_FAILED', `Could not start ${model}: ${warm.error.errorType}: ${warm.error.message}`);
      }
      const gateway = new Gateway({
        invoker, clock: systemClock(), models: configs, maxQueue: flags.maxQueue,
        dispatcher: { maxInFlight: flags.concurrency, random: Math.random },
      });
      const token = flags.token ?? process.env.FERRY_TOKEN;
      const app = createHttpServer(gateway, { ...(token ? { token } : {}), logger: flags.log ? true : false });
      const url = await app.listen({ port: flags.port, host: flags.host });
      const first = models[0]!;
      console.log(`ferry: serving ${models.join(', ')} on ${url} (${flags.backend} backend, batch ${flags.batchSize}, ` +
        `${flags.processes} process(es), ${flags.memoryMb} MB, SLO ${flags.sloMs} ms)`);
      const auth = token ? ` -H 'Authorization: Bearer ${token}'` : '';
      const sample = first === 'ocr-cls' ? 'samples/text-upright.png' : 'samples/cartoon-house.png';
      console.log(`try:  curl -s${auth} -H 'Content-Type: image/png' --data-binary @${sample} ${url}/v2/models/${first}/classify`);
      console.log(`      metrics: ${url}/metrics`);
      onShutdown(async () => {
        // Stop taking connections, answer everything already accepted, then reap instances.
        await shutdownGateway(app, gateway);
        await invoker.close();
        await runtime?.close();
      });
    });
}

function makeBackend(flags: ServeFlags, configs: Record<string, ModelConfig>): { invoker: FunctionInvoker; runtime?: LocalRuntime } {
  if (flags.backend === 'lambda') {
    return { invoker: new LambdaInvoker({ ...(flags.region ? { region: flags.region } : {}), ...(flags.endpoint ? { endpoint: flags.endpoint } : {}) }) };
  }
  const runtime = new LocalRuntime({
    functions: Object.entries(configs).map(([model, config]) => ({
      name: config.functionName, model, memoryMb: config.memoryMb, timeoutS: 60, handler: 'index.handler',
    })),
    cacheDir: functionOptionsFromEnv(process.env).cacheDir,
    concurrency: flags.concurrency,
    keepAliveMs: flags.keepAliveMs,
  });
  return { invoker: new LocalInvoker(runtime), runtime };
}

function parseBackend(text: string): 'local' | 'lambda' {
  if (text !== 'local' && text !== 'lambda') throw new FerryError('INVALID_ARGUMENT', `Expected --backend to be local or lambda, got "${text}"`);
  return text;
}
