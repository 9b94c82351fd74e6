/** Quantile with linear interpolation between order statistics (numpy's default). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new RangeError('Expected at least one value, got none');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`Expected q in [0, 1], got ${q}`);
  // A typed array sorts numerically without a comparator callback: several times faster on
  // the thousands of latencies a tuning window or a simulated window holds.
  return quantileOfSorted(Float64Array.from(values).sort(), q);
}

/** `quantile` of values already sorted ascending (no copy, no sort: for large samples). */
export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new RangeError('Expected at least one value, got none');
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  // Equal neighbours (infinities included, where the difference would be NaN) need no interpolation.
  if (sorted[lower] === sorted[upper]) return sorted[lower]!;
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('Expected at least one value, got none');
  return values.reduce((a, b) => a + b, 0) / values.length;
}
