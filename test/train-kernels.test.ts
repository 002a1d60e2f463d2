/**
 * The wasm gradient kernels of train/kernels/ against the reference `cpu` backend, on small random
 * shapes covering what training uses (stride 1, 'same' and 'valid', 2x2 pooling) and the cases
 * that fall back to the stock kernels.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../train/backend.ts';
import { convGradients, expectClose, on, poolGradient, randomValues, type Shape4 } from './kernel-cases.ts';

beforeAll(async () => {
  await useBackend('cpu');
  await useBackend('wasm');
});

describe('wasm convolution gradients (Conv2DBackpropFilter, Conv2DBackpropInput)', () => {
  it.each([
    ['same', 1, [2, 6, 6, 1], [3, 3, 1, 4]],
    ['same', 1, [3, 7, 5, 3], [3, 3, 3, 5]],
    ['valid', 1, [2, 6, 6, 2], [3, 3, 2, 4]],
    ['valid', 1, [2, 8, 7, 3], [5, 5, 3, 2]],
    ['same', 1, [2, 6, 6, 3], [2, 2, 3, 4]],
    // Strided: the filter gradient is the new kernel, the input gradient falls back to the stock one.
    ['same', 2, [2, 7, 7, 3], [3, 3, 3, 4]],
    ['valid', 2, [2, 8, 8, 2], [3, 3, 2, 3]],
  ] as const)('%s padding, stride %d, x %j, filter %j, match cpu', (pad, stride, xShape, wShape) => {
    const f = convGradients([...xShape], [...wShape], stride, pad, false);
    expectClose(on('wasm', f), on('cpu', f));
  });

  it('match cpu through the fused conv2d (bias + relu) that tfjs-layers uses', () => {
    const f = convGradients([4, 9, 9, 3], [3, 3, 3, 6], 1, 'same', true);
    expectClose(on('wasm', f), on('cpu', f));
  });
});

describe('wasm MaxPoolGrad', () => {
  it.each([
    ['valid', 2, 2, [2, 8, 8, 3]],
    ['valid', 2, 2, [2, 7, 7, 4]],
    ['same', 2, 2, [2, 7, 5, 2]],
    ['valid', 3, 3, [1, 9, 9, 2]],
    // Overlapping windows fall back to the stock kernel.
    ['valid', 3, 2, [2, 7, 7, 2]],
  ] as const)('%s padding, window %d, stride %d, on %j matches cpu', (pad, size, stride, shape) => {
    const f = poolGradient([...shape], size, stride, pad, 0);
    expectClose(on('wasm', f), on('cpu', f));
  });

  it('breaks ties as cpu does (first maximum), as after a relu full of zeros', () => {
    const f = poolGradient([2, 6, 6, 3], 2, 2, 'valid', 0.8);
    const x = randomValues([2, 6, 6, 3], 5, 0.8);
    expect(x.filter((v) => v === 0).length).toBeGreaterThan(100);
    expectClose(on('wasm', f), on('cpu', f));
  });
});

describe('wasm Tile, Sum and Mean (the batch-norm gradient and bias-gradient paths)', () => {
  it.each([
    [[1, 1, 1, 5], [3, 4, 2, 1]],
    [[1, 7], [6, 1]],
    [[2, 3], [1, 1]],
    // Not whole repeats: the stock kernel.
    [[1, 1, 3], [1, 2, 2]],
    [[2, 1, 3], [2, 3, 1]],
  ])('Tile of %j by %j matches cpu', (shape, reps) => {
    const x = randomValues(shape, 7);
    const f = () => [tf.tile(tf.tensor(x, shape), reps)];
    expectClose(on('wasm', f), on('cpu', f));
  });

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
    const f = () => [tf.sum(tf.tensor(x, shape), axes, keepDims), tf.mean(tf.tensor(x, shape), axes, keepDims)];
    expectClose(on('wasm', f), on('cpu', f));
  });

  it('leaves rank-2 Sum and Mean to the stock kernels: bit-identical to transpose-then-reduce', () => {
    // The seed MLP's bias gradients are rank-2 sums; they must not change by a bit.
    const x = randomValues([40, 6], 13);
    const [direct, transposed] = on('wasm', () => {
      const input = tf.tensor2d(x, [40, 6]);
      return [tf.concat([tf.sum(input, 0), tf.mean(input, 0)]), tf.concat([tf.sum(tf.transpose(input), 1), tf.mean(tf.transpose(input), 1)])];
    });
    expect(Array.from(direct!)).toEqual(Array.from(transposed!));
  });

  it('give batch-normalisation gradients equal to cpu', () => {
    // What tfjs-layers' BatchNormalization computes in training: batch moments, then batchNorm.
    const shape: Shape4 = [6, 5, 5, 4];
    const [x, gamma, beta, upstream] = [randomValues(shape, 9), randomValues([4], 10), randomValues([4], 11), randomValues(shape, 12)];
    const f = () =>
      tf.grads((xs: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) => {
        const { mean, variance } = tf.moments(xs, [0, 1, 2]);
        const normalised = tf.batchNorm(xs as tf.Tensor4D, mean, variance, offset as tf.Tensor1D, scale as tf.Tensor1D, 1e-3);
        return tf.sum(tf.mul(normalised, tf.tensor(upstream, shape)));
      })([tf.tensor4d(x, shape), tf.tensor1d(gamma), tf.tensor1d(beta)]);
    expectClose(on('wasm', f), on('cpu', f));
  });
});
