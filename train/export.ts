/**
 * Turns trained float weights into asset tensors: batch normalisation folded into the layer it
 * follows, then kernels int8 (per-output-channel symmetric) and biases float32. The float variant
 * is kept for evaluating what quantization costs.
 */
import type { Architecture } from '../classifier/architecture.ts';
import { quantizeInt8, type StoredTensor } from '../classifier/asset-format.ts';
import { BATCH_NORM_EPSILON, batchNormName } from './model.ts';

/** Trained weights keyed `${layer}/${weight}`, e.g. `dense1/kernel`. */
export type FloatWeights = Map<string, { shape: number[]; values: Float32Array }>;

function weight(weights: FloatWeights, name: string): { shape: number[]; values: Float32Array } {
  const found = weights.get(name);
  if (!found) throw new Error(`trained model has no weight ${name}`);
  return found;
}

/**
 * The kernel and bias of every weighted layer, in architecture order. A batch-normalised layer
 * computes gamma * (x·W - mean) / sqrt(variance + eps) + beta at inference, which is x·W' + b' with
 * W' = W * s and b' = beta - mean * s per output channel, s = gamma / sqrt(variance + eps).
 */
export function foldBatchNorm(architecture: Architecture, weights: FloatWeights): FloatWeights {
  const folded: FloatWeights = new Map();
  for (const spec of architecture.layers) {
    if (!('weights' in spec)) continue;
    const kernel = weight(weights, `${spec.weights}/kernel`);
    if (!spec.batchNorm) {
      folded.set(`${spec.weights}/kernel`, kernel);
      folded.set(`${spec.weights}/bias`, weight(weights, `${spec.weights}/bias`));
      continue;
    }
    const bn = (name: string) => weight(weights, `${batchNormName(spec.weights)}/${name}`).values;
    const [gamma, beta, mean, variance] = [
      bn('gamma'),
      bn('beta'),
      bn('moving_mean'),
      bn('moving_variance'),
    ];
    const channels = gamma.length;
    const scale = Float64Array.from(
      gamma,
      (g, c) => g / Math.sqrt(variance[c]! + BATCH_NORM_EPSILON),
    );
    folded.set(`${spec.weights}/kernel`, {
      shape: kernel.shape,
      values: kernel.values.map((w, i) => w * scale[i % channels]!),
    });
    folded.set(`${spec.weights}/bias`, {
      shape: [channels],
      values: beta.map((b, c) => b - mean[c]! * scale[c]!),
    });
  }
  return folded;
}

/** The weights as float32 asset tensors (no quantization). */
export function floatTensors(weights: FloatWeights): Map<string, StoredTensor> {
  return new Map(
    [...weights].map(([name, w]) => [name, { dtype: 'float32', shape: w.shape, values: w.values }]),
  );
}

/** The weights with every kernel quantized to int8; biases stay float32. */
export function quantizedTensors(weights: FloatWeights): Map<string, StoredTensor> {
  return new Map(
    [...weights].map(([name, w]): [string, StoredTensor] => [
      name,
      name.endsWith('/kernel')
        ? quantizeInt8(w.values, w.shape)
        : { dtype: 'float32', shape: w.shape, values: w.values },
    ]),
  );
}
