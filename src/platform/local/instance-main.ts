/**
 * One function instance of the local runtime: a child process that loads a handler module
 * (INIT), then runs invocations one at a time, as a Lambda execution environment does.
 *
 * Environment (set by the runtime): FERRY_HANDLER_MODULE (path of the module),
 * FERRY_HANDLER_EXPORT (the export to call), FERRY_WARM_MODEL (optional: a model to load
 * during INIT when the module exports `warmUp`), plus Lambda's AWS_LAMBDA_* variables.
 */
import { pathToFileURL } from 'node:url';
import type { FromInstance, ToInstance } from './instance-protocol.js';

type Handler = (event: unknown, context: object) => Promise<unknown>;

const send = (message: FromInstance): void => {
  process.send?.(message);
};

function errorFields(error: unknown): { errorType: string; errorMessage: string } {
  if (error instanceof Error) return { errorType: error.name || 'Error', errorMessage: error.message };
  return { errorType: 'Error', errorMessage: String(error) };
}

async function init(): Promise<Handler | undefined> {
  try {
    const module = (await import(pathToFileURL(process.env.FERRY_HANDLER_MODULE ?? '').href)) as Record<string, unknown>;
    const handler = module[process.env.FERRY_HANDLER_EXPORT ?? 'handler'];
    if (typeof handler !== 'function') throw new Error(`Handler export "${process.env.FERRY_HANDLER_EXPORT}" is not a function`);
    const warmModel = process.env.FERRY_WARM_MODEL;
    if (warmModel && typeof module.warmUp === 'function') await (module.warmUp as (model: string) => Promise<void>)(warmModel);
    send({ type: 'ready' });
    return handler as Handler;
  } catch (error) {
    send({ type: 'init-failed', ...errorFields(error) });
    return undefined;
  }
}

const handler = await init();

process.on('message', async (raw) => {
  const message = raw as ToInstance;
  if (message.type !== 'invoke' || !handler) return;
  const startMs = performance.now();
  const context = {
    awsRequestId: message.requestId,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    getRemainingTimeInMillis: () => Math.max(0, message.deadlineMs - Date.now()),
  };
  console.log(`START RequestId: ${message.requestId} Version: $LATEST`);
  let payload: string;
  let error: { errorType: string; errorMessage: string } | undefined;
  try {
    const result = await handler(JSON.parse(message.payload), context);
    payload = JSON.stringify(result ?? null);
  } catch (caught) {
    error = errorFields(caught);
    payload = JSON.stringify({ ...error, trace: caught instanceof Error ? (caught.stack ?? '').split('\n') : [] });
    console.error(`${error.errorType}: ${error.errorMessage}`);
  }
  console.log(`END RequestId: ${message.requestId}`);
  send({ type: 'result', requestId: message.requestId, durationMs: performance.now() - startMs, payload, ...(error ? { error } : {}) });
});

// The runtime owns this process: when it goes, so does the instance (and, through the same
// rule in worker-main, its workers).
process.on('disconnect', () => process.exit(0));
