/** Rounds to two decimals: benchmark figures are printed and compared at that precision. */
export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
