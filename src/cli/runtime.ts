import type { Command } from 'commander';
import { functionOptionsFromEnv } from '../function/handler.js';
import { parseFunctionFlag, type LocalFunctionSpec } from '../platform/local/functions.js';
import { createLambdaApi, listen } from '../platform/local/lambda-api.js';
import { LocalRuntime } from '../platform/local/runtime.js';
import { integerOption } from '../util/options.js';
import { onShutdown } from './shutdown.js';
import { cpuQuotaNote } from '../platform/local/cpu-quota.js';

interface RuntimeFlags {
  port: number;
  host: string;
  function: LocalFunctionSpec[];
  concurrency: number;
  keepAliveMs: number;
  cpuPeriodMs: number;
  billingLog?: string;
  verbose?: boolean;
}

export function registerRuntime(program: Command): void {
  program
    .command('runtime')
    .description('run the embedded Lambda-compatible runtime alone (Invoke, GetFunctionConfiguration, UpdateFunctionConfiguration)')
    .option('--port <port>', 'port to listen on', integerOption('--port', 0, 65_535), 9001)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--function <NAME=MODEL[:MEMORY_MB]>', 'register a function (repeatable), e.g. demo=mobilenetv2:1769',
      (text: string, all: LocalFunctionSpec[]) => [...all, parseFunctionFlag(text)], [] as LocalFunctionSpec[])
    .option('--concurrency <n>', 'invocations at once across functions; more answer 429', integerOption('--concurrency', 1, 1000), 4)
    .option('--keep-alive-ms <ms>', 'how long an idle instance stays warm', integerOption('--keep-alive-ms', 0, 86_400_000), 300_000)
    .option('--cpu-period-ms <ms>', 'CFS period of the instances\' CPU quotas', integerOption('--cpu-period-ms', 1, 1000), 100)
    .option('--billing-log <file>', 'append every billing record as a JSON line')
    .option('--verbose', 'print instance log lines')
    .action(async (flags: RuntimeFlags) => {
      const functions = flags.function.length > 0 ? flags.function : [parseFunctionFlag('mobilenetv2=mobilenetv2:1769')];
      const quota = await cpuQuotaNote();
      if (!quota.enforced) console.warn(`ferry: warning: ${quota.note}`);
      const runtime = new LocalRuntime({
        functions,
        cacheDir: functionOptionsFromEnv(process.env).cacheDir,
        concurrency: flags.concurrency,
        keepAliveMs: flags.keepAliveMs,
        cpuPeriodUs: flags.cpuPeriodMs * 1000,
        ...(flags.billingLog ? { billingLogFile: flags.billingLog } : {}),
        ...(flags.verbose ? { onLog: (line: string) => console.error(line) } : {}),
      });
      // From the environment, not a flag: a flag's value is visible to every user in `ps`.
      const secret = process.env.FERRY_RUNTIME_SECRET || undefined;
      const server = createLambdaApi(runtime, secret ? { secret } : {});
      const address = await listen(server, flags.port, flags.host);
      const endpoint = `http://${address.address}:${address.port}`;
      console.log(`ferry runtime: Lambda API on ${endpoint}${secret ? ' (requests must be signed with FERRY_RUNTIME_SECRET, access key id ferry)' : ''}`);
      for (const spec of functions) console.log(`  function ${spec.name}: model ${spec.model}, ${spec.memoryMb} MB`);
      const first = functions[0]!;
      if (!secret) console.log(`try: curl -s -X POST ${endpoint}/2015-03-31/functions/${first.name}/invocations -d '{"model":"${first.model}","inputs":[]}'`);
      onShutdown(async () => {
        server.close();
        await runtime.close();
      });
    });
}
