import { describe, expect, it } from 'vitest';
import { Rng } from './random.js';

describe('Rng', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
  });

  it('draws uniforms in [0, 1), integers in 0..n-1 and roughly standard normals', () => {
    const rng = new Rng(7);
    const uniforms = Array.from({ length: 20_000 }, () => rng.next());
    expect(Math.min(...uniforms)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...uniforms)).toBeLessThan(1);
    expect(uniforms.reduce((s, u) => s + u, 0) / uniforms.length).toBeCloseTo(0.5, 1);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[rng.int(3)]!++;
    for (const count of counts) expect(count).toBeGreaterThan(900);
    const normals = Array.from({ length: 20_000 }, () => rng.normal());
    const mean = normals.reduce((s, z) => s + z, 0) / normals.length;
    const variance = normals.reduce((s, z) => s + (z - mean) ** 2, 0) / normals.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(variance).toBeGreaterThan(0.95);
    expect(variance).toBeLessThan(1.05);
  });

  it('requires a finite seed (no unseeded fallback) and a positive integer bound', () => {
    expect(() => new Rng(Number.NaN)).toThrow(/seed/);
    expect(() => new Rng(undefined as unknown as number)).toThrow(/seed/);
    expect(() => new Rng(1).int(0)).toThrow(/positive integer/);
  });

  it('shuffles a copy into a permutation, and forks independent streams', () => {
    const rng = new Rng(3);
    const items = [1, 2, 3, 4, 5, 6];
    const shuffled = rng.shuffle(items);
    expect(items).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...shuffled].sort()).toEqual(items);
    const fork = new Rng(3).fork();
    expect(fork.next()).not.toBe(new Rng(3).next());
  });
});
