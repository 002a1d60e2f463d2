/**
 * Test-set evaluation of a model asset through the same inference graph the Worker runs
 * (classifier/forward/create-network.ts), so the figures in the model card are the figures users get.
 */
import { PIXELS_PER_IMAGE } from '../classifier/architecture.ts';
import type { ModelAsset } from '../classifier/asset-format.ts';
import { createNetwork } from '../classifier/forward/create-network.ts';
import type { ImageSet } from './data/index.ts';

/** Precision and recall of one class. */
export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
}

/** Accuracy, per-class metrics and the confusion matrix (rows: true class, columns: predicted). */
export interface Evaluation {
  accuracy: number;
  perClass: ClassMetrics[];
  confusion: number[][];
}

/** Class probabilities (count x classes, row-major) for every image of `set`. */
export function predictAll(asset: ModelAsset, set: ImageSet, batchSize = 1000): Float32Array {
  const network = createNetwork(asset);
  const out = new Float32Array(set.count * network.classes);
  try {
    for (let start = 0; start < set.count; start += batchSize) {
      const count = Math.min(batchSize, set.count - start);
      const pixels = Float32Array.from(
        set.images.subarray(start * PIXELS_PER_IMAGE, (start + count) * PIXELS_PER_IMAGE),
      );
      out.set(network.predict(pixels, count), start * network.classes);
    }
  } finally {
    network.dispose();
  }
  return out;
}

/** Index of the largest of `classes` values starting at `offset`. */
export function argMax(values: Float32Array, offset: number, classes: number): number {
  let best = 0;
  for (let c = 1; c < classes; c++) if (values[offset + c]! > values[offset + best]!) best = c;
  return best;
}

/** Scores predictions against the true labels. */
export function scorePredictions(
  probabilities: Float32Array,
  labels: Uint8Array,
  labelNames: readonly string[],
): Evaluation {
  const classes = labelNames.length;
  const confusion = labelNames.map(() => new Array<number>(classes).fill(0));
  let correct = 0;
  labels.forEach((truth, i) => {
    const predicted = argMax(probabilities, i * classes, classes);
    confusion[truth]![predicted]! += 1;
    if (predicted === truth) correct++;
  });
  const perClass = labelNames.map((label, c) => {
    const truePositives = confusion[c]![c]!;
    const predictedAsC = confusion.reduce((sum, row) => sum + row[c]!, 0);
    const actuallyC = confusion[c]!.reduce((sum, n) => sum + n, 0);
    return {
      label,
      precision: predictedAsC ? truePositives / predictedAsC : 0,
      recall: actuallyC ? truePositives / actuallyC : 0,
    };
  });
  return { accuracy: correct / labels.length, perClass, confusion };
}

/** Evaluates an asset on a whole image set. */
export function evaluateAsset(asset: ModelAsset, set: ImageSet): Evaluation {
  return scorePredictions(predictAll(asset, set), set.labels, asset.labels);
}
