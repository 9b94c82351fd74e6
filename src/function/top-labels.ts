import type { LabelProbability } from '../core/function-event.js';

/**
 * The `k` most probable labels. The shipped models end in a softmax already; any other
 * output (logits) is normalized with a softmax first so that `probability` means one.
 */
export function topLabels(values: readonly number[], labels: readonly string[], k: number): LabelProbability[] {
  const sum = values.reduce((a, b) => a + b, 0);
  const isDistribution = values.every((v) => v >= 0 && v <= 1) && Math.abs(sum - 1) < 1e-3;
  const probabilities = isDistribution ? values : softmax(values);
  return probabilities
    .map((probability, index) => ({ label: labels[index] ?? String(index), probability }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, Math.max(0, k));
}

function softmax(values: readonly number[]): number[] {
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}
