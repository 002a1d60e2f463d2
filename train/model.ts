/**
 * The trainable tfjs-layers model for an architecture, with seeded initialisers (one seed per
 * layer: the same seed everywhere would give correlated layers) so training is reproducible.
 */
import * as tf from '@tensorflow/tfjs';
import type { Architecture, LayerSpec } from '../classifier/architecture.ts';
import { ChannelBatchNorm } from './batch-norm.ts';
import { LinearConv2D } from './linear-conv.ts';

/** Added to the batch variance before its square root, in training and when export folds it. */
export const BATCH_NORM_EPSILON = 1e-3;

/** Name of the batch-normalisation layer that follows the layer whose weights are `weights`. */
export const batchNormName = (weights: string): string => `${weights}_bn`;

type Weighted = Extract<LayerSpec, { weights: string }>;

/** The layer's linear part; with batchNorm it has no bias (the normalisation's offset replaces it) and no activation yet. */
function linearLayer(
  spec: Weighted,
  seed: number,
  inputShape: { inputShape?: number[] },
): tf.layers.Layer {
  const common = {
    ...inputShape,
    name: spec.weights,
    activation: spec.batchNorm ? 'linear' : spec.activation,
    useBias: !spec.batchNorm,
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    biasInitializer: 'zeros',
  } as const;
  if (spec.type === 'dense') return tf.layers.dense({ ...common, units: spec.units });
  if (spec.batchNorm)
    return new LinearConv2D({
      ...inputShape,
      name: spec.weights,
      filters: spec.filters,
      kernelSize: spec.kernelSize,
      padding: spec.padding,
      seed,
    });
  return tf.layers.conv2d({
    ...common,
    filters: spec.filters,
    kernelSize: spec.kernelSize,
    padding: spec.padding,
  });
}

/** The tfjs-layers layers for one spec. */
function layersFor(
  spec: LayerSpec,
  seed: number,
  inputShape: { inputShape?: number[] },
): tf.layers.Layer[] {
  switch (spec.type) {
    case 'flatten':
      return [tf.layers.flatten(inputShape)];
    case 'maxPool2d':
      return [
        tf.layers.maxPooling2d({
          ...inputShape,
          poolSize: spec.poolSize,
          strides: spec.poolSize,
          padding: spec.padding,
        }),
      ];
    case 'dropout':
      // No seed: a seeded dropout layer draws the same mask at every step. The unseeded one draws
      // from Math.random, which the build seeds, so training stays reproducible.
      return [tf.layers.dropout({ ...inputShape, rate: spec.rate })];
    case 'dense':
    case 'conv2d': {
      const linear = linearLayer(spec, seed, inputShape);
      if (!spec.batchNorm) return [linear];
      // relu runs inside the normalisation's passes over memory; other activations after it.
      const relu = spec.activation === 'relu';
      const norm = new ChannelBatchNorm({
        name: batchNormName(spec.weights),
        epsilon: BATCH_NORM_EPSILON,
        relu,
      });
      return relu || spec.activation === 'linear'
        ? [linear, norm]
        : [linear, norm, tf.layers.activation({ activation: spec.activation })];
    }
  }
}

/** Builds an uncompiled Sequential model matching `architecture`; weights named `${weights}/kernel|bias`. */
export function buildTrainableModel(architecture: Architecture, seed: number): tf.Sequential {
  const model = tf.sequential();
  let layerSeed = seed;
  architecture.layers.forEach((spec, index) => {
    const inputShape = index === 0 ? { inputShape: architecture.inputShape } : {};
    if ('weights' in spec) layerSeed += 1;
    for (const layer of layersFor(spec, layerSeed, inputShape)) model.add(layer);
  });
  return model;
}

/**
 * Every weight of the model (trainable or not) as float32 arrays, keyed `${layer}/${weight}`
 * (e.g. `dense1/kernel`, `conv2_bn/moving_mean`), in layer order.
 */
export function readWeights(
  model: tf.LayersModel,
): Map<string, { shape: number[]; values: Float32Array }> {
  const weights = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const layer of model.layers) {
    layer.getWeights().forEach((tensor, i) => {
      weights.set(layer.weights[i]!.originalName, {
        shape: tensor.shape,
        values: tensor.dataSync() as Float32Array,
      });
    });
  }
  return weights;
}
