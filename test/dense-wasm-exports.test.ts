/**
 * The direct wasm path (classifier/forward/dense-wasm-exports.ts) against tfjs' kernel functions on the same wasm
 * binary (classifier/forward/dense-any-backend.ts): bit for bit, across batch sizes, buffer reuse and heap growth.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PIXELS_PER_IMAGE, seedMlp } from '../classifier/architecture.ts';
import { quantizeInt8, type ModelAsset, type StoredTensor } from '../classifier/asset-format.ts';
import { FASHION_MNIST_LABELS } from '../classifier/labels.ts';
import { createKernelNetwork } from '../classifier/forward/dense-any-backend.ts';
import { createNetwork } from '../classifier/forward/create-network.ts';
import { createWasmNetwork, isWasmBackend } from '../classifier/forward/dense-wasm-exports.ts';
import { useBackend } from '../train/backend.ts';
import { createRandom } from '../train/random.ts';

/** An MLP asset of the served architecture with seeded random int8 weights. */
function randomAsset(seed: number): ModelAsset {
  const random = createRandom(seed);
  const values = (n: number, scale: number) =>
    Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);
  const tensors = new Map<string, StoredTensor>([
    ['dense1/kernel', quantizeInt8(values(PIXELS_PER_IMAGE * 128, 0.1), [PIXELS_PER_IMAGE, 128])],
    ['dense1/bias', { dtype: 'float32', shape: [128], values: values(128, 0.1) }],
    ['dense2/kernel', quantizeInt8(values(128 * 10, 0.3), [128, 10])],
    ['dense2/bias', { dtype: 'float32', shape: [10], values: values(10, 0.1) }],
  ]);
  return {
    name: 'fashion-mnist',
    version: '1',
    architecture: seedMlp(),
    labels: [...FASHION_MNIST_LABELS],
    metadata: {},
    tensors,
    sha256: '',
  };
}

/** `count` images of seeded random raw pixels (0..255, a third of them 0 as in Fashion-MNIST). */
function randomPixels(count: number, seed: number): Float32Array {
  const random = createRandom(seed);
  return Float32Array.from({ length: count * PIXELS_PER_IMAGE }, () =>
    random() < 0.33 ? 0 : Math.floor(random() * 256),
  );
}

/** The wasm heap's current size in bytes. */
const heapBytes = (): number =>
  (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;

/** Whether two arrays hold the same float32 bit patterns. */
function expectBitIdentical(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  expect(
    Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(
      Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength),
    ),
  ).toBe(true);
}

beforeAll(async () => {
  await useBackend('wasm');
});

describe('the direct wasm path', () => {
  it('is what createNetwork serves on the wasm backend, and needs that backend', async () => {
    expect(isWasmBackend(tf.backend())).toBe(true);
    const asset = randomAsset(1);
    const served = createNetwork(asset);
    const direct = createWasmNetwork(asset);
    const pixels = randomPixels(5, 2);
    expectBitIdentical(served.predict(pixels, 5), direct.predict(pixels, 5));
    served.dispose();
    direct.dispose();
    await useBackend('cpu');
    expect(isWasmBackend(tf.backend())).toBe(false);
    expect(() => createWasmNetwork(asset)).toThrow(/wasm backend/);
    await useBackend('wasm');
  });

  it('matches the kernel functions bit for bit across batch sizes, in resident and per-call buffers', () => {
    const asset = randomAsset(3);
    const before = tf.memory().numTensors;
    const kernels = createKernelNetwork(asset);
    const direct = createWasmNetwork(asset);
    for (const [i, count] of [1, 3, 64, 2, 1, 65, 7].entries()) {
      const pixels = randomPixels(count, 10 + i);
      const expected = kernels.predict(pixels, count);
      expect(expected).toHaveLength(count * 10);
      expectBitIdentical(direct.predict(pixels, count), expected);
    }
    kernels.dispose();
    direct.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stays bit-identical when the wasm heap grows between and during predictions', () => {
    const asset = randomAsset(4);
    const kernels = createKernelNetwork(asset);
    const direct = createWasmNetwork(asset);
    const small = randomPixels(2, 20);
    expectBitIdentical(direct.predict(small, 2), kernels.predict(small, 2));

    // Another allocation grows the heap, replacing the views a prediction writes and reads through.
    const grown = heapBytes();
    const ballast = tf.zeros([heapBytes() / 4 + 1]);
    expect(heapBytes()).toBeGreaterThan(grown);
    expectBitIdentical(direct.predict(small, 2), kernels.predict(small, 2));

    // A batch larger than the heap has room for grows it inside the prediction itself.
    const count = Math.ceil(heapBytes() / (4 * PIXELS_PER_IMAGE)) + 1;
    const large = randomPixels(count, 21);
    const heapBefore = heapBytes();
    const actual = direct.predict(large, count);
    expect(heapBytes()).toBeGreaterThan(heapBefore);
    expectBitIdentical(actual, kernels.predict(large, count));
    expectBitIdentical(direct.predict(small, 2), kernels.predict(small, 2));
    ballast.dispose();
    kernels.dispose();
    direct.dispose();
  });

  it('keeps buffers for small batches only: a large batch leaves nothing behind on the backend', () => {
    const direct = createWasmNetwork(randomAsset(6));
    const buffers = (): number => tf.backend().numDataIds();
    direct.predict(randomPixels(1, 30), 1);
    const resident = buffers();
    for (const count of [64, 65, 300, 3]) {
      direct.predict(randomPixels(count, 31), count);
      expect(buffers()).toBe(resident);
    }
    direct.dispose();
  });

  it('rejects a pixel count that does not match the image count, and answers nothing for no images', () => {
    const direct = createWasmNetwork(randomAsset(5));
    expect(() => direct.predict(new Float32Array(PIXELS_PER_IMAGE + 1), 1)).toThrow(RangeError);
    expect(direct.predict(new Float32Array(0), 0)).toHaveLength(0);
    direct.dispose();
  });
});
