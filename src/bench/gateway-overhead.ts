import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { median } from '../core/stats.js';
import { nodeEntry } from '../util/node-entry.js';
import type { OverheadServer } from './overhead-servers.js';
import { processCpuSeconds } from './proc-cpu.js';

export interface OverheadOptions {
  /** Measured seconds per server and round. */
  durationS: number;
  /** Interleaved rounds (medians reported). */
  rounds: number;
  /** autocannon connections (requests in flight, closed loop). */
  connections: number;
  /** Unmeasured seconds per server first (JIT, connection set-up). */
  warmupS: number;
  /** The gateway's dispatcher bound on invocations in flight (`ferry serve --concurrency`). */
  maxInFlight: number;
  /** SLO of the batch-8 gateway: small, so that a batch that does not fill goes soon. */
  batchSloMs: number;
}

export interface OverheadRow {
  name: string;
  /** Medians over the rounds. */
  requestsPerS: number;
  p50Ms: number;
  p99Ms: number;
  /** requests/s over the floor's, both medians. */
  vsFloor: number;
  perRound: number[];
  /**
   * Cores the server process used while measured (median; Linux only). Near 1 means the
   * server was the bottleneck; well below 1, the load generator was.
   */
  serverCpuCores?: number;
  /** Server CPU time per request answered (µs, median): less sensitive to a busy machine than requests/s. */
  cpuUsPerRequest?: number;
  /** Non-2xx answers, errors and timeouts over all rounds (should be 0). */
  failures: number;
}

// A 1x1 PNG: the no-op invoker never decodes it; the gateway still parses and queues it.
const tinyPngBase64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
export const overheadRequestBody = JSON.stringify({ inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: [tinyPngBase64] }] });

/**
 * What the gateway's own code costs per request: the gateway with a no-op invoker (batch 1,
 * so each request is its own invocation, and batch 8 under a small SLO) next to a plain
 * node:http server that does the same JSON parse and answers the same bytes (the floor).
 * Each server runs in its own child process, autocannon in this one; all are measured in one
 * run, interleaved round by round, same connections and duration.
 */
export async function runGatewayOverhead(options: OverheadOptions, log: (line: string) => void): Promise<OverheadRow[]> {
  const servers: Array<{ name: string; server: OverheadServer }> = [
    { name: 'plain node:http + JSON.parse (floor)', server: { kind: 'floor' } },
    { name: 'gateway, batch 1 (one invocation per request)', server: { kind: 'gateway', batchSize: 1, sloMs: 300, maxInFlight: options.maxInFlight } },
    { name: `gateway, batch 8, SLO ${options.batchSloMs} ms`, server: { kind: 'gateway', batchSize: 8, sloMs: options.batchSloMs, maxInFlight: options.maxInFlight } },
  ];
  const { default: autocannon } = await import('autocannon');
  const children: ChildProcess[] = [];
  try {
    const ports: number[] = [];
    for (const { server } of servers) {
      const child = startChild(server);
      children.push(child);
      ports.push(await portOf(child));
    }
    const measure = (i: number, durationS: number) => autocannon({
      url: `http://127.0.0.1:${ports[i]}/v2/models/mobilenetv2/infer`,
      connections: options.connections, duration: durationS, method: 'POST',
      headers: { 'content-type': 'application/json' }, body: overheadRequestBody,
    });
    for (let i = 0; i < servers.length && options.warmupS > 0; i++) {
      log(`warm-up: ${servers[i]!.name}, ${options.warmupS} s`);
      await measure(i, options.warmupS);
    }
    const runs = servers.map(() => ({ rps: [] as number[], p50: [] as number[], p99: [] as number[], cpu: [] as number[], cpuPerRequest: [] as number[], failures: 0 }));
    for (let round = 0; round < options.rounds; round++) {
      // Rotate the order each round, so that no server always goes first or last.
      for (let k = 0; k < servers.length; k++) {
        const i = (k + round) % servers.length;
        log(`round ${round + 1}/${options.rounds}: ${servers[i]!.name}, ${options.durationS} s, ${options.connections} connections`);
        const cpuBefore = processCpuSeconds(children[i]!.pid!);
        const startMs = performance.now();
        const result = await measure(i, options.durationS);
        const cpuAfter = processCpuSeconds(children[i]!.pid!);
        const run = runs[i]!;
        if (cpuBefore !== undefined && cpuAfter !== undefined) {
          run.cpu.push((cpuAfter - cpuBefore) / ((performance.now() - startMs) / 1000));
          run.cpuPerRequest.push(((cpuAfter - cpuBefore) * 1e6) / Math.max(1, result.requests.total));
        }
        run.rps.push(result.requests.average);
        run.p50.push(result.latency.p50);
        run.p99.push(result.latency.p99);
        run.failures += result.non2xx + result.errors + result.timeouts;
      }
    }
    const floorRps = median(runs[0]!.rps);
    return servers.map(({ name }, i) => {
      const run = runs[i]!;
      const rps = median(run.rps);
      return {
        name, requestsPerS: Math.round(rps), p50Ms: median(run.p50), p99Ms: median(run.p99),
        vsFloor: Math.round((rps / floorRps) * 100) / 100, perRound: run.rps.map(Math.round), failures: run.failures,
        ...(run.cpu.length > 0 ? { serverCpuCores: Math.round(median(run.cpu) * 100) / 100, cpuUsPerRequest: Math.round(median(run.cpuPerRequest)) } : {}),
      };
    });
  } finally {
    for (const child of children) if (child.connected) child.disconnect();
    await Promise.all(children.map((child) => (child.exitCode === null && child.signalCode === null ? once(child, 'exit') : undefined)));
  }
}

function startChild(server: OverheadServer): ChildProcess {
  const entry = nodeEntry(import.meta.url, './overhead-server-main.js');
  return fork(entry.file, [JSON.stringify(server)], { execArgv: entry.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function portOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`The benchmark server exited (code ${String(code)}) before it listened`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve((message as { port: number }).port);
    });
  });
}
