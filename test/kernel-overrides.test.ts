/**
 * The wasm reductions of train/kernel-overrides/column-reduce.ts against the reference `cpu` backend, and
 * the cases that stay with the stock kernels. The native convnet kernels: native-blas.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../train/backend.ts';
import { expectClose, on, randomValues, type Shape4 } from './kernel-cases.ts';

beforeAll(async () => {
  await useBackend('cpu');
  await useBackend('wasm');
});

describe('wasm Sum and Mean over all leading axes (bias gradients, batch-norm statistics)', () => {
  it.each([
    [[4, 5, 6, 3], [0, 1, 2], false],
    [[4, 5, 6, 3], [2, 0, 1], true],
    [[9, 4], [0], false],
    [[3, 8, 5], [0, 1], true],
    // Not all leading axes: the stock kernels.
    [[4, 5, 6, 3], [1, 2], false],
    [[4, 5, 6, 3], [3], true],
  ])('Sum and Mean of %j over axes %j (keepDims %s) match cpu', (shape, axes, keepDims) => {
    const x = randomValues(shape, 8);
    const f = () => [
      tf.sum(tf.tensor(x, shape), axes, keepDims),
      tf.mean(tf.tensor(x, shape), axes, keepDims),
    ];
    expectClose(on('wasm', f), on('cpu', f));
  });

  it('leaves rank-2 Sum and Mean to the stock kernels: bit-identical to transpose-then-reduce', () => {
    // The seed MLP's bias gradients are rank-2 sums; they must not change by a bit.
    const x = randomValues([40, 6], 13);
    const [direct, transposed] = on('wasm', () => {
      const input = tf.tensor2d(x, [40, 6]);
      return [
        tf.concat([tf.sum(input, 0), tf.mean(input, 0)]),
        tf.concat([tf.sum(tf.transpose(input), 1), tf.mean(tf.transpose(input), 1)]),
      ];
    });
    expect(Array.from(direct!)).toEqual(Array.from(transposed!));
  });

  it('give batch-normalisation gradients equal to cpu', () => {
    // What tfjs-layers' BatchNormalization computes in training: batch moments, then batchNorm.
    const shape: Shape4 = [6, 5, 5, 4];
    const [x, gamma, beta, upstream] = [
      randomValues(shape, 9),
      randomValues([4], 10),
      randomValues([4], 11),
      randomValues(shape, 12),
    ];
    const f = () =>
      tf.grads((xs: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) => {
        const { mean, variance } = tf.moments(xs, [0, 1, 2]);
        const normalised = tf.batchNorm(
          xs as tf.Tensor4D,
          mean,
          variance,
          offset as tf.Tensor1D,
          scale as tf.Tensor1D,
          1e-3,
        );
        return tf.sum(tf.mul(normalised, tf.tensor(upstream, shape)));
      })([tf.tensor4d(x, shape), tf.tensor1d(gamma), tf.tensor1d(beta)]);
    expectClose(on('wasm', f), on('cpu', f));
  });
});
