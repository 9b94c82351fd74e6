/**
 * Issue 12, suite 5: a soak of the real `ferry serve --tune` (the built command, as a user
 * runs it): minutes of steady load while the tuner changes memory, batch size and
 * processes; nothing lost or duplicated, resident memory and open descriptors stable.
 * FERRY_SOAK_S sets the length (default 150 s).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testCacheDir } from '../helpers/function.js';
import { mergeTallies, runLoad } from './harness/load.js';
import { descriptorKinds, footprint, processTree } from './harness/proc.js';
import { report } from './harness/report.js';
import { sleep } from './harness/scenario.js';
import { outDir } from './harness/stack-client.js';

const soakS = Number(process.env.FERRY_SOAK_S ?? 150);
const ratePerS = 15;
/**
 * `ferry serve` waits 35 s for an invocation (a 30 s function timeout plus 5 s), and an
 * item may be tried 3 times: the bound when the tuner tries a configuration that is slow
 * or crashes (see docs/reliability.md).
 */
const boundMs = 1000 + 3 * 35_000 + 1000;

describe('soak: ferry serve --tune under steady load', () => {
  it(`serves ${soakS} s at ${ratePerS} requests/s with nothing lost or duplicated, memory and descriptors stable`, async () => {
    const tuningLog = path.join(outDir, 'soak-tuning.jsonl');
    mkdirSync(outDir, { recursive: true });
    rmSync(tuningLog, { force: true });
    const bin = fileURLToPath(new URL('../../bin/ferry.js', import.meta.url));
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--tune', '--tune-window-s', '10', '--tune-window-requests', '60',
      '--concurrency', '2', '--batch-size', '4', '--processes', '2', '--memory-mb', '3538', '--slo-ms', '1000', '--tuning-log', tuningLog], {
      env: { ...process.env, FERRY_CACHE_DIR: testCacheDir, FERRY_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`ferry serve did not start: ${output}`)), 120_000);
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /serving .* on (http:\/\/\S+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`ferry serve exited with ${code}: ${output}`)));
    });
    const pid = child.pid!;
    try {
      const atStart = footprint(pid);
      // The first minute warms caches, JIT and pools: "stable" is judged from there on.
      const warm = await runLoad({ url, ratePerS, durationMs: Math.min(60, soakS / 3) * 1000, boundMs });
      const steady = { ...footprint(pid), kinds: descriptorKinds(pid) };
      const rest = await runLoad({ url, ratePerS, durationMs: (soakS - Math.min(60, soakS / 3)) * 1000, boundMs });
      await sleep(1000);
      const atEnd = { ...footprint(pid), kinds: descriptorKinds(pid) };
      const metrics = await (await fetch(`${url}/metrics`)).text();
      // Matched loosely (names may gain a unit suffix): the request histogram's counts by status, the queue depth, tuning events.
      const answeredByGateway = [...metrics.matchAll(/^ferry_request\w*_count\{(?=[^}]*model="mobilenetv2")(?=[^}]*status="\d+")[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
      const queueDepth = Number(/^ferry_queue_depth\w*\{[^}]*model="mobilenetv2"[^}]*\} (\d+)/m.exec(metrics)?.[1] ?? -1);
      const tuning = Object.fromEntries([...metrics.matchAll(/^ferry_tuning_events\w*\{(?=[^}]*model="mobilenetv2")[^}]*kind="([^"]+)"[^}]*\} (\d+)/gm)].map((m) => [m[1], Number(m[2])]));
      const tally = mergeTallies([warm, rest]);
      report('soak/tune', tally, undefined, {
        'seconds': soakS, 'gateway RSS MB at start, after the first minute, at end': `${atStart.rssMb}, ${steady.rssMb}, ${atEnd.rssMb}`,
        'gateway open fds at start, after the first minute, at end': `${atStart.fds}, ${steady.fds}, ${atEnd.fds}`,
        'processes (gateway, instances, workers) at end': processTree(pid).length, 'requests the gateway answered (its /metrics)': answeredByGateway,
        'tuning events': tuning,
      }, boundMs);
      expect(tally.lost).toBe(0);
      expect(tally.duplicated).toBe(0);
      expect(tally.overBound).toBe(0);
      // Every request reached the gateway's admission and was answered and counted there once.
      expect(answeredByGateway).toBe(tally.answered);
      expect(queueDepth).toBe(0);
      expect(atEnd.fds).toBeLessThanOrEqual(steady.fds + 10);
      expect(atEnd.rssMb).toBeLessThan(steady.rssMb * 1.3 + 20);
    } finally {
      writeFileSync(path.join(outDir, 'soak.log'), output);
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGINT');
        setTimeout(() => child.kill('SIGKILL'), 60_000).unref();
      });
    }
  });
});
