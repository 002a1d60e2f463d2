/**
 * train/batch-norm.ts against tfjs-layers' BatchNormalization: the same outputs, gradients and
 * moving averages in training, the same inference output, on the cpu and wasm backends.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../train/backend.ts';
import { ChannelBatchNorm } from '../train/batch-norm.ts';
import { createRandom } from '../train/random.ts';

const SHAPE = [5, 4, 3, 6];
const EPSILON = 1e-3;

function randomTensor(shape: number[], seed: number, low = -1, high = 1): tf.Tensor {
  const random = createRandom(seed);
  return tf.tensor(
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => low + (high - low) * random()),
    shape,
  );
}

/** Loss, dgamma, dbeta, dx (each a training step), the moving averages after them, the inference output. */
function run(layer: tf.layers.Layer): Float32Array[] {
  layer.apply(tf.input({ shape: SHAPE.slice(1) })); // builds the layer inside its name scope
  return tf.tidy(() => {
    const channels = SHAPE[3]!;
    layer.setWeights([
      randomTensor([channels], 1, 0.5, 2),
      randomTensor([channels], 2),
      randomTensor([channels], 3),
      randomTensor([channels], 4, 0.5, 2),
    ]);
    const x = randomTensor(SHAPE, 5, -2, 3);
    const upstream = randomTensor(SHAPE, 6);
    const loss = (input: tf.Tensor) =>
      tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, upstream)) as tf.Scalar;
    const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => loss(x), variables);
    const dx = tf.grad(loss)(x);
    const inference = layer.apply(x, { training: false }) as tf.Tensor;
    return [
      value,
      ...variables.map((v) => grads[v.name]!),
      dx,
      ...layer.getWeights().slice(2),
      inference,
    ].map((t) => t.dataSync() as Float32Array);
  });
}

beforeAll(async () => {
  await useBackend('cpu');
  await useBackend('wasm');
});

describe('ChannelBatchNorm', () => {
  it.each(['cpu', 'wasm'])('matches tfjs-layers BatchNormalization on %s', (backend) => {
    tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const ours = run(new ChannelBatchNorm({ name: 'ours_bn', epsilon: EPSILON }));
    const reference = run(tf.layers.batchNormalization({ name: 'reference_bn', epsilon: EPSILON }));
    ours.forEach((values, k) => {
      const scale = Math.max(1, ...Array.from(reference[k]!, Math.abs));
      values.forEach((v, i) =>
        expect(Math.abs(v - reference[k]![i]!) / scale, `output ${k}, element ${i}`).toBeLessThan(
          1e-5,
        ),
      );
    });
    expect(tf.memory().numTensors - before).toBe(8); // the two layers' weights, nothing else
  });

  it('names its weights as tfjs-layers does, so export folds either', () => {
    const layer = new ChannelBatchNorm({ name: 'conv2_bn', epsilon: EPSILON });
    layer.apply(tf.input({ shape: [2, 2, 3] }));
    expect(layer.weights.map((w) => w.originalName)).toEqual([
      'conv2_bn/gamma',
      'conv2_bn/beta',
      'conv2_bn/moving_mean',
      'conv2_bn/moving_variance',
    ]);
    expect(layer.trainableWeights).toHaveLength(2);
  });
});
