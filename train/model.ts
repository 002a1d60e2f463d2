/**
 * The trainable tfjs-layers model for an architecture, with seeded initialisers (one seed per
 * layer: the same seed everywhere would give correlated layers) so training is reproducible.
 */
import * as tf from '@tensorflow/tfjs';
import type { Architecture } from '../asset/architecture.ts';

/** Builds a compiled-free LayersModel matching `architecture`; weights named `${weights}/kernel|bias`. */
export function buildTrainableModel(architecture: Architecture, seed: number): tf.Sequential {
  const model = tf.sequential();
  let first = true;
  let layerSeed = seed;
  for (const spec of architecture.layers) {
    const inputShape = first ? { inputShape: architecture.inputShape } : {};
    first = false;
    if (spec.type === 'flatten') {
      model.add(tf.layers.flatten(inputShape));
      continue;
    }
    layerSeed += 1;
    model.add(
      tf.layers.dense({
        ...inputShape,
        name: spec.weights,
        units: spec.units,
        activation: spec.activation,
        kernelInitializer: tf.initializers.glorotUniform({ seed: layerSeed }),
        biasInitializer: 'zeros',
      }),
    );
  }
  return model;
}

/** The model's weights as float32 arrays keyed `${layer}/kernel` and `${layer}/bias`. */
export function readWeights(model: tf.LayersModel): Map<string, { shape: number[]; values: Float32Array }> {
  const weights = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const layer of model.layers) {
    const [kernel, bias] = layer.getWeights();
    if (!kernel || !bias) continue;
    weights.set(`${layer.name}/kernel`, { shape: kernel.shape, values: kernel.dataSync() as Float32Array });
    weights.set(`${layer.name}/bias`, { shape: bias.shape, values: bias.dataSync() as Float32Array });
  }
  return weights;
}
