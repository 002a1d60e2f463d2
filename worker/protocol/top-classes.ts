/**
 * The most probable classes of each image, the answer of every classification API: /v1/classify's
 * `predictions`, TF Serving's :classify `result` and the v2 classification extension's strings.
 */

/** One class of an image's answer. */
export interface Prediction {
  label: string;
  index: number;
  score: number;
}

/** The `top` most probable classes of one image's probabilities, most probable first (ties keep label order). */
export function topPredictions(
  probabilities: Float32Array,
  labels: readonly string[],
  top: number,
): Prediction[] {
  return Array.from(probabilities, (score, index) => ({
    label: labels[index] ?? String(index),
    index,
    score,
  }))
    .sort((a, b) => b.score - a.score)
    .slice(0, top);
}

/** topPredictions of each of the `probabilities.length / labels.length` images of a batch. */
export function topPredictionsPerImage(
  probabilities: Float32Array,
  labels: readonly string[],
  top: number,
): Prediction[][] {
  const classes = labels.length;
  return Array.from({ length: probabilities.length / classes }, (_, i) =>
    topPredictions(probabilities.subarray(i * classes, (i + 1) * classes), labels, top),
  );
}
