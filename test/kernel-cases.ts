/**
 * Shared by the kernel tests: seeded random inputs, a runner that evaluates the same computation
 * on a given backend, a tolerance check, and the convolution and pooling gradient cases.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { createRandom } from '../train/random.ts';

export type Shape4 = [number, number, number, number];

export function randomValues(shape: number[], seed: number, zeroFraction = 0): Float32Array {
  const random = createRandom(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () =>
    random() < zeroFraction ? 0 : random() * 2 - 1,
  );
}

/** Runs `f` on `backend` and returns its outputs as plain arrays, leaving no tensor behind. */
export function on(backend: 'cpu' | 'wasm', f: () => tf.Tensor[]): Float32Array[] {
  tf.setBackend(backend);
  const before = tf.engine().backend.numDataIds();
  const outputs = tf.tidy(f);
  const values = outputs.map((t) => t.dataSync().slice() as Float32Array);
  tf.dispose(outputs);
  expect(tf.engine().backend.numDataIds()).toBe(before);
  return values;
}

export function expectClose(actual: Float32Array[], expected: Float32Array[]): void {
  expect(actual.map((a) => a.length)).toEqual(expected.map((e) => e.length));
  actual.forEach((values, k) => {
    const scale = Math.max(1, ...Array.from(expected[k]!, Math.abs));
    values.forEach((v, i) => expect(Math.abs(v - expected[k]![i]!) / scale).toBeLessThan(1e-5));
  });
}

/** conv2d(x, w) (or the fused conv2d with bias and relu), and the gradients of a weighted sum of it with respect to x and w. */
export function convGradients(
  xShape: Shape4,
  wShape: Shape4,
  stride: number,
  pad: 'same' | 'valid',
  fused: boolean,
) {
  const x = randomValues(xShape, 1);
  const w = randomValues(wShape, 2);
  const bias = randomValues([wShape[3]], 3);
  return () => {
    const convolve = (xs: tf.Tensor4D, ws: tf.Tensor4D) =>
      fused
        ? tf.fused.conv2d({
            x: xs,
            filter: ws,
            strides: stride,
            pad,
            bias: tf.tensor1d(bias),
            activation: 'relu',
          })
        : tf.conv2d(xs, ws, stride, pad);
    // A non-uniform upstream gradient, so that every output position matters differently.
    const weightedSum = (y: tf.Tensor) =>
      tf.sum(tf.mul(y, tf.tensor(randomValues(y.shape, 4), y.shape)));
    const grads = tf.grads((xs: tf.Tensor, ws: tf.Tensor) =>
      weightedSum(convolve(xs as tf.Tensor4D, ws as tf.Tensor4D)),
    );
    const inputs = [tf.tensor4d(x, xShape), tf.tensor4d(w, wShape)] as const;
    return [convolve(...inputs), ...grads([...inputs])];
  };
}

/** The gradient of a weighted sum of maxPool(x) with respect to x. */
export const poolGradient = (
  shape: Shape4,
  size: number,
  stride: number,
  pad: 'same' | 'valid',
  zeroFraction: number,
) => {
  const x = randomValues(shape, 5, zeroFraction);
  return () => {
    const grad = tf.grad((xs: tf.Tensor) => {
      const y = tf.maxPool(xs as tf.Tensor4D, size, stride, pad);
      return tf.sum(tf.mul(y, tf.tensor(randomValues(y.shape, 6), y.shape)));
    });
    return [grad(tf.tensor4d(x, shape))];
  };
};
