import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LocalRuntime } from '../../src/platform/local/runtime.js';
import { testCacheDir } from '../helpers/function.js';
import { imageEvent, waitFor } from '../helpers/runtime.js';

/** Processes whose parent is this one (the runtime forks instances as direct children). */
function childPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the parenthesised command name: state, ppid, ...
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

describe('local runtime close', () => {
  it('waits for an instance still starting, stops it, and refuses the invocation that started it', async () => {
    const runtime = new LocalRuntime({
      functions: [{ name: 'demo', model: 'mobilenetv2', memoryMb: 1769, timeoutS: 60, handler: 'index.handler' }],
      cacheDir: testCacheDir,
      initTimeoutMs: 30_000,
    });
    const pending = runtime.invoke('demo', JSON.stringify(imageEvent(1))).then(() => 'answered', (error: unknown) => error);
    expect(runtime.inFlight).toBe(1);
    // The instance process exists (INIT under way) before close is called.
    expect(await waitFor(() => childPids().length > 0, 10_000, 10)).toBe(true);
    await runtime.close();
    expect(childPids()).toEqual([]);
    expect(await pending).toMatchObject({ statusCode: 503, errorType: 'ServiceException' });
    expect(runtime.inFlight).toBe(0);
  });
});
