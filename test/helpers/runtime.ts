import { readFileSync } from 'node:fs';
import type { FunctionEvent } from '../../src/core/function-event.js';
import { sampleBase64 } from './function.js';

/** An event of `count` sample images (the drawing and the dunes, alternating). */
export function imageEvent(count: number, processes = 1): FunctionEvent {
  const images = [sampleBase64('cartoon-house.png'), sampleBase64('dunes.jpg')];
  return { model: 'mobilenetv2', inputs: Array.from({ length: count }, (_, i) => ({ image: images[i % 2]! })), processes };
}

/** Whether a process exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The cgroup (v1 `cpu` hierarchy) a process is in, from /proc. */
export function cpuCgroupOf(pid: number): string | undefined {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => /^\d+:([^:]*,)?cpu(,[^:]*)?:/.test(l));
  return line?.split(':')[2];
}

export async function waitFor(condition: () => boolean, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
  return condition();
}
