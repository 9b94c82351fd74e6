import type { Clock } from '../core/clock.js';
import type { ServingObserver } from '../serving/events.js';
import type { Gateway } from '../serving/gateway.js';
import type { ModelConfig } from '../serving/model-config.js';
import { startServing } from '../gateway/start-serving.js';

export interface LocalServingOptions {
  model: string;
  config: ModelConfig;
  cacheDir: string;
  /** Dispatcher invocations in flight and runtime concurrency (`ferry serve --concurrency`). */
  concurrency: number;
  /** @default 1024 (`ferry serve`'s) */
  maxQueue?: number;
  /** @default 300000 (`ferry serve`'s) */
  keepAliveMs?: number;
  /** Subscribers of serving besides /metrics (a tuner, a recorder), as `ferry serve --tune` passes them. */
  observers?: ServingObserver[];
  /** @default the system clock */
  clock?: Clock;
}

export interface LocalServing {
  url: string;
  gateway: Gateway;
  close(): Promise<void>;
}

/** What `ferry serve` starts (src/gateway/start-serving.ts), on 127.0.0.1 and a free port. */
export async function startLocalServing(options: LocalServingOptions): Promise<LocalServing> {
  const serving = await startServing({
    models: { [options.model]: options.config },
    backend: { kind: 'local', cacheDir: options.cacheDir, keepAliveMs: options.keepAliveMs ?? 300_000 },
    concurrency: options.concurrency,
    maxQueue: options.maxQueue ?? 1024,
    host: '127.0.0.1',
    port: 0,
    ...(options.observers ? { observers: options.observers } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return { url: serving.url, gateway: serving.gateway, close: () => serving.close() };
}
