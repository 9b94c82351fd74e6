import { describe, expect, it } from 'vitest';
import { runSimulate, type SimulateOutput } from '../../src/cli/simulate.js';

const flags = {
  trace: 'gen:mmpp?rate-per-s=10&burst-rate-per-s=60&mean-calm-s=40&mean-burst-s=15&duration-s=150&seed=9',
  model: 'mobilenetv2', sloMs: 300, policies: ['static', 'per-request', 'aimd', 'joint-bo'], seed: 1, timeScale: 1, keepAliveMs: 300_000,
  memoryMb: 3538, batchSize: 8, processes: 2, threads: 1, oracleSegmentS: 300, baselineMemoryMb: 3008,
} satisfies Parameters<typeof runSimulate>[0];

/** The JSON `--json` writes, without the one field that may differ between identical runs. */
function withoutWall(output: SimulateOutput): string {
  return JSON.stringify({ ...output, policies: output.policies.map(({ wallS: _wallS, ...rest }) => rest) });
}

async function run(seed: number): Promise<{ json: string; output: SimulateOutput; lines: string[] }> {
  const lines: string[] = [];
  const output = await runSimulate({ ...flags, seed }, (line) => lines.push(line));
  return { json: withoutWall(output), output, lines };
}

describe('ferry simulate is deterministic', () => {
  it('gives the same JSON (apart from wallS) for the same seed, and different results for another', async () => {
    const first = await run(1);
    const second = await run(1);
    expect(first.output.policies.map((p) => p.name)).toEqual(flags.policies);
    // joint-bo really tuned (else its determinism would be that of a static run).
    expect(first.output.policies.find((p) => p.name === 'joint-bo')!.configChanges).toBeGreaterThan(0);
    expect(second.json).toBe(first.json);
    // The table differs only in its wall-time column.
    const dropWall = (lines: string[]) => lines.map((l) => l.replace(/\s+\d+\.\d$/, ''));
    expect(dropWall(second.lines)).toEqual(dropWall(first.lines));

    const other = await run(2);
    expect(other.output.policies[0]!.requests).toBe(first.output.policies[0]!.requests); // same trace
    expect(other.json).not.toBe(first.json);
    // Each policy's run draws from the seed: service times move, so latencies or costs do.
    for (const name of ['static', 'aimd', 'joint-bo']) {
      const a = first.output.policies.find((p) => p.name === name)!;
      const b = other.output.policies.find((p) => p.name === name)!;
      expect([a.costUsd, a.p50Ms, a.p99Ms], name).not.toEqual([b.costUsd, b.p50Ms, b.p99Ms]);
    }
  });
});
