/**
 * A small seeded pseudo-random generator for src/core/, which may not use Math.random:
 * every random choice (a GP's restarts, an optimizer's initial design, a benchmark's noise)
 * draws from one of these, so a run is reproduced exactly by its seed.
 *
 * The state is seeded through splitmix32's mixer (so seeds 0, 1, 2 give unrelated streams)
 * and advanced by mulberry32, a 32-bit generator that passes the usual statistical batteries
 * well enough for Monte Carlo work of this size (not for cryptography).
 */
export class Rng {
  private state: number;
  private spareNormal: number | undefined;

  /** @param seed any finite number; required (there is deliberately no unseeded default) */
  constructor(seed: number) {
    if (typeof seed !== 'number' || !Number.isFinite(seed)) {
      throw new RangeError(`Expected a finite number as the seed, got ${String(seed)}`);
    }
    // Fold the whole double (also fractions and values over 2^32) into 32 bits, then mix.
    const folded = (Math.floor(seed) ^ Math.floor(seed / 4294967296) ^ Math.round((seed % 1) * 1e9)) >>> 0;
    this.state = mix32(folded);
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal (Box-Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const value = this.spareNormal;
      this.spareNormal = undefined;
      return value;
    }
    const u = 1 - this.next(); // (0, 1]: log(u) is finite
    const v = this.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in 0..n-1. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Expected a positive integer, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** A new generator seeded from this one: independent streams for independent parts. */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 4294967296));
  }

  /** Fisher-Yates shuffle of a copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

/** splitmix32's finalizer: a bijection on 32-bit integers with good avalanche. */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}
