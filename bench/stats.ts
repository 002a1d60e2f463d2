/** Small order statistics for benchmark samples. */

/** The q-quantile (0..1) of `values` by linear interpolation; NaN for no values. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

/** The median of `values`. */
export const median = (values: readonly number[]): number => quantile(values, 0.5);

/** `value` rounded to `digits` significant digits, for readable JSON and tables. */
export function round(value: number, digits = 3): number {
  return Number.isFinite(value) && value !== 0 ? Number(value.toPrecision(digits)) : value;
}
