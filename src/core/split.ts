/**
 * Splits `count` items into at most `parts` contiguous ranges whose sizes differ by at most
 * one, larger ranges first. Contiguity keeps the answer order trivial to restore; balance
 * keeps the slowest worker (which sets the batch's latency) as light as possible.
 * Never returns an empty range: with fewer items than parts, some parts get nothing.
 */
export function splitEven(count: number, parts: number): Array<{ start: number; end: number }> {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`Expected count to be an integer >= 0, got ${count}`);
  if (!Number.isInteger(parts) || parts < 1) throw new RangeError(`Expected parts to be an integer >= 1, got ${parts}`);
  const used = Math.min(count, parts);
  const ranges: Array<{ start: number; end: number }> = [];
  const base = Math.floor(count / Math.max(used, 1));
  let extra = count - base * used;
  let start = 0;
  for (let i = 0; i < used; i++) {
    const size = base + (extra > 0 ? 1 : 0);
    if (extra > 0) extra--;
    ranges.push({ start, end: start + size });
    start += size;
  }
  return ranges;
}
