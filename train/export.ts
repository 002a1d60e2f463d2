/**
 * Turns trained float weights into asset tensors: kernels int8 (per-output-channel symmetric),
 * biases float32. The float variant is kept for evaluating what quantization costs.
 */
import { quantizeInt8, type StoredTensor } from '../asset/format.ts';

/** Trained weights keyed `${layer}/kernel|bias`. */
export type FloatWeights = Map<string, { shape: number[]; values: Float32Array }>;

/** The weights as float32 asset tensors (no quantization). */
export function floatTensors(weights: FloatWeights): Map<string, StoredTensor> {
  return new Map([...weights].map(([name, w]) => [name, { dtype: 'float32', shape: w.shape, values: w.values }]));
}

/** The weights with every kernel quantized to int8; biases stay float32. */
export function quantizedTensors(weights: FloatWeights): Map<string, StoredTensor> {
  return new Map(
    [...weights].map(([name, w]): [string, StoredTensor] => [
      name,
      name.endsWith('/kernel') ? quantizeInt8(w.values, w.shape) : { dtype: 'float32', shape: w.shape, values: w.values },
    ]),
  );
}
