/**
 * The baseline without tfjs: the model's forward pass over plain Float32Arrays, from the same
 * dequantized weights the project uploads. Written the way a careful JS author would (row-major
 * kernels walked in memory order, one accumulator row per image), not tuned beyond that.
 */
import type { ModelAsset } from '../classifier/asset-format.ts';
import { denseLayers, type DenseLayer } from '../classifier/forward/dense-layers.ts';
import { expectPixels } from '../classifier/forward/network.ts';

/** The subset of classifier/forward/network.ts' Network that the benchmark drives. */
export interface Predictor {
  /** count*784 raw pixels (0..255) -> count*classes probabilities, row-major. */
  predict(pixels: Float32Array, count: number): Float32Array;
}

/** The layer with its column scales multiplied in, rounded as the backend's float32 multiply rounds. */
function scaled(layer: DenseLayer): DenseLayer {
  const { units, kernel, columnScales } = layer;
  const weights = kernel.map((value, i) => Math.fround(value * columnScales[i % units]!));
  return { ...layer, kernel: weights, columnScales: new Float32Array(units).fill(1) };
}

/** out[n] = activation(x[n] . kernel + bias) for each of `count` rows. */
function dense(layer: DenseLayer, x: Float32Array, count: number): Float32Array {
  const { inputs, units, kernel, bias } = layer;
  const out = new Float32Array(count * units);
  for (let n = 0; n < count; n++) {
    const row = n * units;
    out.set(bias, row);
    for (let i = 0; i < inputs; i++) {
      const xi = x[n * inputs + i]!;
      const k = i * units;
      for (let u = 0; u < units; u++) out[row + u]! += xi * kernel[k + u]!;
    }
    if (layer.activation === 'relu') {
      for (let u = row; u < row + units; u++) if (out[u]! < 0) out[u] = 0;
    } else if (layer.activation === 'softmax') {
      softmaxRow(out, row, units);
    }
  }
  return out;
}

function softmaxRow(values: Float32Array, start: number, length: number): void {
  let max = -Infinity;
  for (let i = start; i < start + length; i++) max = Math.max(max, values[i]!);
  let sum = 0;
  for (let i = start; i < start + length; i++) sum += values[i] = Math.exp(values[i]! - max);
  for (let i = start; i < start + length; i++) values[i]! /= sum;
}

/** A Predictor computing in plain TypeScript. */
export function createPlainNetwork(asset: ModelAsset): Predictor {
  const layers = denseLayers(asset).map(scaled);
  return {
    predict(pixels, count) {
      expectPixels(pixels, count);
      return layers.reduce((x, layer) => dense(layer, x, count), pixels);
    },
  };
}
