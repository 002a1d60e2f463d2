/**
 * The native OpenBLAS kernels (train/kernel-overrides/native.ts, the convnet's training path) against the
 * reference `cpu` backend: convolutions forward and backward, matrix products in every transpose
 * combination, with the fused bias and relu, max-pool gradients, and the shapes that decline to the
 * wasm kernels underneath.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../train/backend.ts';
import { ChannelBatchNorm } from '../train/batch-norm.ts';
import { registerNativeKernels } from '../train/kernel-overrides/index.ts';
import { convGradients, expectClose, on, poolGradient, randomValues } from './kernel-cases.ts';

beforeAll(async () => {
  await useBackend('cpu');
  await useBackend('wasm');
  registerNativeKernels();
});

describe('native convolutions (Conv2D, FusedConv2D and both gradients)', () => {
  it.each([
    ['same', 1, [2, 6, 6, 1], [3, 3, 1, 4], false],
    ['same', 1, [3, 7, 5, 3], [3, 3, 3, 5], true],
    ['valid', 1, [2, 8, 7, 3], [5, 5, 3, 2], false],
    ['same', 1, [2, 6, 6, 3], [2, 2, 3, 4], true],
    ['same', 2, [2, 7, 7, 3], [3, 3, 3, 4], false],
    ['valid', 2, [2, 8, 8, 2], [3, 3, 2, 3], true],
    // The CNN's own layers, at batch 4.
    ['same', 1, [4, 28, 28, 1], [3, 3, 1, 16], true],
    ['same', 1, [4, 14, 14, 16], [3, 3, 16, 32], false],
  ] as const)(
    '%s padding, stride %d, x %j, filter %j, fused %s: output and gradients match cpu',
    (pad, stride, xShape, wShape, fused) => {
      const f = convGradients([...xShape], [...wShape], stride, pad, fused);
      expectClose(on('wasm', f), on('cpu', f));
    },
  );

  it('leave dilated convolutions (forward only in tfjs) to the wasm kernels, which still match cpu', () => {
    const f = () => [
      tf.conv2d(
        tf.tensor4d(randomValues([2, 9, 9, 2], 26), [2, 9, 9, 2]),
        tf.tensor4d(randomValues([3, 3, 2, 3], 27), [3, 3, 2, 3]),
        1,
        'same',
        'NHWC',
        2,
      ),
    ];
    expectClose(on('wasm', f), on('cpu', f));
  });
});

describe('native matrix products (BatchMatMul, _FusedMatMul)', () => {
  const [a, b, bias] = [randomValues([6, 5], 21), randomValues([5, 4], 22), randomValues([4], 23)];

  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])(
    'transposeA %s, transposeB %s: plain, and fused with bias and relu, match cpu',
    (transposeA, transposeB) => {
      const f = () => {
        const left = transposeA ? tf.transpose(tf.tensor2d(a, [6, 5])) : tf.tensor2d(a, [6, 5]);
        const right = transposeB ? tf.transpose(tf.tensor2d(b, [5, 4])) : tf.tensor2d(b, [5, 4]);
        return [
          tf.matMul(left, right, transposeA, transposeB),
          tf.fused.matMul({
            a: left,
            b: right,
            transposeA,
            transposeB,
            bias: tf.tensor1d(bias),
            activation: 'relu',
          }),
        ];
      };
      expectClose(on('wasm', f), on('cpu', f));
    },
  );

  it('leave batched products to the wasm kernels, which still match cpu', () => {
    const f = () => [
      tf.matMul(
        tf.tensor3d(randomValues([3, 4, 5], 24), [3, 4, 5]),
        tf.tensor3d(randomValues([3, 5, 2], 25), [3, 5, 2]),
      ),
    ];
    expectClose(on('wasm', f), on('cpu', f));
  });

  it('give the gradients of a dense layer that cpu gives', () => {
    const f = () =>
      tf.grads((x: tf.Tensor, w: tf.Tensor) =>
        tf.sum(
          tf.square(
            tf.fused.matMul({
              a: x as tf.Tensor2D,
              b: w as tf.Tensor2D,
              bias: tf.tensor1d(bias),
              activation: 'relu',
            }),
          ),
        ),
      )([tf.tensor2d(a, [6, 5]), tf.tensor2d(b, [5, 4])]);
    expectClose(on('wasm', f), on('cpu', f));
  });
});

describe('native batch normalisation (ChannelBatchNorm in training)', () => {
  it.each([
    [[6, 5, 5, 4], false],
    [[6, 5, 5, 4], true],
    [[64, 7, 7, 3], true],
  ])(
    'on %j (relu %s): output, moving statistics and gradients of x, gamma, beta match the tf-ops path on cpu',
    (shape, relu) => {
      const [x, upstream] = [randomValues(shape, 31), randomValues(shape, 32)];
      const f = () => {
        const layer = new ChannelBatchNorm({ name: 'bn', epsilon: 1e-3, momentum: 0.5, relu });
        layer.build(shape);
        // Moved off the identity, so that gamma and beta enter the gradients non-trivially.
        layer.setWeights([
          tf.tensor1d(randomValues([shape.at(-1)!], 33)),
          tf.tensor1d(randomValues([shape.at(-1)!], 34)),
          ...layer.getWeights().slice(2),
        ]);
        const input = tf.variable(tf.tensor(x, shape));
        const { value, grads } = tf.variableGrads(
          () =>
            tf.sum(
              tf.mul(
                layer.apply(input, { training: true }) as tf.Tensor,
                tf.tensor(upstream, shape),
              ),
            ),
          [input, ...(layer.trainableWeights.map((w) => w.read()) as tf.Variable[])],
        );
        const results = [
          value,
          ...Object.values(grads),
          ...layer.getWeights().map((w) => w.clone()),
        ];
        for (const weight of layer.weights) weight.dispose();
        input.dispose();
        return results;
      };
      expectClose(on('wasm', f), on('cpu', f));
    },
  );
});

describe('native MaxPoolGrad', () => {
  it.each([
    ['valid', 2, 2, [2, 8, 8, 3], 0],
    ['same', 2, 2, [2, 7, 5, 2], 0],
    ['valid', 3, 3, [1, 9, 9, 2], 0],
    // Ties (a relu output full of zeros) go to the first maximum, as on cpu.
    ['valid', 2, 2, [2, 6, 6, 3], 0.8],
    // Overlapping windows decline to the wasm kernels.
    ['valid', 3, 2, [2, 7, 7, 2], 0],
  ] as const)(
    '%s padding, window %d, stride %d, on %j (zeros %d) matches cpu',
    (pad, size, stride, shape, zeros) => {
      const f = poolGradient([...shape], size, stride, pad, zeros);
      expectClose(on('wasm', f), on('cpu', f));
    },
  );
});

it('rejects an argument that is not a Float32Array with a TypeError, not a crash', async () => {
  const { nativeKernels } = await import('../train/native/addon.ts');
  const geometry = new Int32Array(13);
  expect(() =>
    nativeKernels().maxPoolGrad(
      new Float64Array(4) as unknown as Float32Array,
      new Float32Array(1),
      new Float32Array(4),
      geometry,
    ),
  ).toThrow(TypeError);
  expect(() =>
    nativeKernels().maxPoolGrad(
      new Float32Array(4),
      new Float32Array(1),
      new Float32Array(4),
      new Int32Array(3),
    ),
  ).toThrow(/geometry/);
});

it('runs the covered shapes in the addon, not in the wasm kernels underneath', async () => {
  const { nativeKernels } = await import('../train/native/addon.ts');
  const addon = nativeKernels();
  const calls = new Map<string, number>();
  const names = [
    'convForward',
    'convFilterGradient',
    'convInputGradient',
    'matMul',
    'maxPoolGrad',
    'batchNormForward',
    'batchNormBackward',
  ] as const;
  const originals = names.map((name) => [name, addon[name]] as const);
  for (const [name, original] of originals) {
    (addon as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return (original as (...a: unknown[]) => unknown)(...args);
    };
  }
  try {
    on('wasm', () => {
      const f = convGradients([2, 8, 8, 2], [3, 3, 2, 4], 1, 'same', true);
      const pooled = poolGradient([2, 8, 8, 2], 2, 2, 'valid', 0);
      const layer = new ChannelBatchNorm({ name: 'bn', epsilon: 1e-3 });
      const normalised = tf.grad((x: tf.Tensor) =>
        tf.sum(layer.apply(x, { training: true }) as tf.Tensor),
      )(tf.ones([2, 3, 3, 2]));
      for (const weight of layer.weights) weight.dispose();
      return [...f(), ...pooled(), tf.matMul(tf.ones([3, 2]), tf.ones([2, 4])), normalised];
    });
  } finally {
    for (const [name, original] of originals)
      (addon as unknown as Record<string, unknown>)[name] = original;
  }
  expect(Object.fromEntries(calls)).toEqual({
    convForward: 2,
    convFilterGradient: 1,
    convInputGradient: 1,
    matMul: 1,
    maxPoolGrad: 1,
    batchNormForward: 1,
    batchNormBackward: 1,
  });
});
