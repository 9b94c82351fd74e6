/**
 * A linear trend y ~ b0 + b . x fitted by ridge regression (the intercept unpenalized),
 * used as the prior mean of a Gaussian process: the GP then models what the trend leaves.
 *
 * Why a trend: a stationary GP reverts to the data's mean away from its observations, so
 * after a handful of evaluations it predicts the far corners of the space as average. Cost
 * is close to log-linear in the tuner's inputs over most of the space (price grows with
 * memory, an idle vCPU share is paid for in proportion), and a fitted slope extrapolates
 * that instead of forgetting it. The ridge penalty keeps the slope modest when the points
 * are few or nearly collinear (the first design points).
 */
export function fitLinearTrend(x: readonly (readonly number[])[], y: readonly number[], ridge: number): (point: readonly number[]) => number {
  if (x.length === 0 || x.length !== y.length) throw new RangeError(`Expected as many targets as inputs, got ${x.length} and ${y.length}`);
  if (!(ridge > 0)) throw new RangeError(`Expected a positive ridge penalty, got ${ridge}`);
  const d = x[0]!.length + 1;
  // Normal equations (F^T F + ridge I') beta = F^T y, with F's rows [1, x...], as an
  // augmented d x (d + 1) matrix solved by Gauss-Jordan with partial pivoting. The penalty
  // makes the matrix positive definite, so every pivot is non-zero.
  const a = Array.from({ length: d }, () => new Float64Array(d + 1));
  for (let n = 0; n < x.length; n++) {
    const row = [1, ...x[n]!];
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) a[i]![j]! += row[i]! * row[j]!;
      a[i]![d]! += row[i]! * y[n]!;
    }
  }
  for (let i = 1; i < d; i++) a[i]![i]! += ridge;
  for (let c = 0; c < d; c++) {
    let pivot = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[pivot]![c]!)) pivot = r;
    [a[c], a[pivot]] = [a[pivot]!, a[c]!];
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const factor = a[r]![c]! / a[c]![c]!;
      for (let k = c; k <= d; k++) a[r]![k]! -= factor * a[c]![k]!;
    }
  }
  const beta = a.map((row, i) => row[d]! / row[i]!);
  return (point) => {
    let value = beta[0]!;
    for (let i = 0; i < point.length; i++) value += beta[i + 1]! * point[i]!;
    return value;
  };
}
