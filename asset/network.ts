/**
 * Inference from a decoded asset on whichever tfjs backend is active.
 * Shared by the build (to evaluate the quantized model) and the Worker (to serve it), so both
 * compute the very same graph.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PIXELS_PER_IMAGE, type LayerSpec } from './architecture.ts';
import { dequantize, type ModelAsset, type StoredTensor } from './format.ts';

/** A model with its weights resident as tensors, ready for repeated predictions. */
export interface Network {
  /** Number of output classes. */
  readonly classes: number;
  /**
   * Class probabilities for `count` images given as raw pixel values (0..255, 784 per image,
   * Fashion-MNIST convention). Returns count x classes probabilities, row-major.
   */
  predict(pixels: Float32Array, count: number): Float32Array;
  /** Frees the weight tensors. */
  dispose(): void;
}

interface DenseWeights {
  kernel: tf.Tensor2D;
  bias: tf.Tensor1D;
  activation: 'relu' | 'softmax' | 'linear';
}

function tensorOf(asset: ModelAsset, name: string): StoredTensor {
  const tensor = asset.tensors.get(name);
  if (!tensor) throw new Error(`model ${asset.name} has no tensor ${name}`);
  return tensor;
}

/**
 * Uploads the asset's weights once. The first dense kernel is pre-divided by 255 so requests can
 * feed raw pixel values: one multiply per weight at load instead of one per pixel per request.
 */
export function createNetwork(asset: ModelAsset): Network {
  const layers: DenseWeights[] = [];
  let inputScale = 1 / 255;
  for (const spec of asset.architecture.layers as LayerSpec[]) {
    if (spec.type === 'flatten') continue;
    const stored = tensorOf(asset, `${spec.weights}/kernel`);
    const values = dequantize(stored);
    if (inputScale !== 1) {
      const scaled = new Float32Array(values.length);
      for (let i = 0; i < values.length; i++) scaled[i] = values[i]! * inputScale;
      inputScale = 1;
      layers.push(denseLayer(asset, spec, scaled, stored.shape));
    } else {
      layers.push(denseLayer(asset, spec, values, stored.shape));
    }
  }
  const classes = layers[layers.length - 1]?.bias.shape[0] ?? 0;

  return {
    classes,
    predict(pixels, count) {
      if (pixels.length !== count * PIXELS_PER_IMAGE) {
        throw new RangeError(`expected ${count * PIXELS_PER_IMAGE} pixel values, got ${pixels.length}`);
      }
      const output = tf.tidy(() => {
        let x: tf.Tensor2D = tf.tensor2d(pixels, [count, PIXELS_PER_IMAGE], 'float32');
        for (const layer of layers) {
          x = tf.fused.matMul({
            a: x,
            b: layer.kernel,
            bias: layer.bias,
            activation: layer.activation === 'relu' ? 'relu' : 'linear',
          }) as tf.Tensor2D;
          if (layer.activation === 'softmax') x = tf.softmax(x) as tf.Tensor2D;
        }
        return x;
      });
      const probabilities = output.dataSync() as Float32Array;
      output.dispose();
      return probabilities;
    },
    dispose() {
      for (const layer of layers) {
        layer.kernel.dispose();
        layer.bias.dispose();
      }
    },
  };
}

function denseLayer(
  asset: ModelAsset,
  spec: Extract<LayerSpec, { type: 'dense' }>,
  kernel: Float32Array,
  shape: number[],
): DenseWeights {
  const [inputs, units] = shape as [number, number];
  const bias = dequantize(tensorOf(asset, `${spec.weights}/bias`));
  return {
    kernel: tf.tensor2d(kernel, [inputs, units], 'float32'),
    bias: tf.tensor1d(bias, 'float32'),
    activation: spec.activation,
  };
}
