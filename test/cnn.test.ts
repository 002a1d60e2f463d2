/**
 * The convolutional model path without the trained CNN (which takes minutes to build; see
 * `npm run check:cnn` for the built asset's accuracy and Worker parity): architecture, batch-norm
 * folding, the served forward pass, the asset round trip, augmentation, reproducible training,
 * and the bundle manifest that makes the Worker serve whichever models were built.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  seedMlp,
  servedArchitecture,
  smallCnn,
  type Architecture,
} from '../classifier/architecture.ts';
import {
  decodeAsset,
  encodeAsset,
  type ModelAsset,
  type StoredTensor,
} from '../classifier/asset-format.ts';
import { FASHION_MNIST_LABELS } from '../classifier/labels.ts';
import { createNetwork } from '../classifier/forward/create-network.ts';
import { writeImage } from '../train/augment.ts';
import { useBackend } from '../train/backend.ts';
import { registerNativeKernels } from '../train/kernel-overrides/index.ts';
import { loadFashionMnist, type ImageSet } from '../train/data/index.ts';
import { floatTensors, foldBatchNorm, quantizedTensors } from '../train/export.ts';
import { trainModel } from '../train/loop.ts';
import { writeBundleManifest } from '../train/manifest.ts';
import { buildTrainableModel, readWeights } from '../train/model.ts';
import { createRandom, seedMathRandom } from '../train/random.ts';

const CLASSES = 10;
let test: ImageSet;

beforeAll(async () => {
  await useBackend('wasm');
  registerNativeKernels(); // as train/build.ts does for convnets
  ({ test } = await loadFashionMnist({ allowDownload: false }));
});

/** The first `count` images of `set`, raw pixels 0..255 as the served network takes them. */
const pixelsOf = (set: ImageSet, count: number) =>
  Float32Array.from(set.images.subarray(0, count * 784));

/** An in-memory asset of `architecture` with the given tensors. */
function assetOf(architecture: Architecture, tensors: Map<string, StoredTensor>): ModelAsset {
  return {
    name: 'fashion-mnist-cnn',
    version: '1',
    architecture: servedArchitecture(architecture),
    labels: [...FASHION_MNIST_LABELS],
    metadata: {},
    tensors,
    sha256: '',
  };
}

/** A freshly initialised CNN whose batch-norm statistics and scales are far from the identity. */
function cnnWithNontrivialNorms(): tf.Sequential {
  const model = buildTrainableModel(smallCnn(), 3);
  const random = createRandom(5);
  for (const layer of model.layers.filter((l) => l.name.endsWith('_bn'))) {
    const [gamma, beta, mean, variance] = layer.getWeights().map((w) => w.shape[0]!);
    const values = (n: number, low: number, high: number) =>
      tf.tensor1d(Array.from({ length: n }, () => low + (high - low) * random()));
    layer.setWeights([
      values(gamma!, 0.5, 2),
      values(beta!, -1, 1),
      values(mean!, -0.5, 0.5),
      values(variance!, 0.2, 3),
    ]);
  }
  return model;
}

describe('the small CNN architecture', () => {
  it('has at most 120K parameters once batch norm is folded', () => {
    const model = buildTrainableModel(smallCnn(), 1);
    const served = foldBatchNorm(smallCnn(), readWeights(model));
    model.dispose();
    const parameters = [...served.values()].reduce((sum, w) => sum + w.values.length, 0);
    expect(parameters).toBeLessThanOrEqual(120_000);
    expect([...served.keys()]).toEqual(
      ['conv1', 'conv2', 'conv3', 'dense1', 'dense2'].flatMap((layer) => [
        `${layer}/kernel`,
        `${layer}/bias`,
      ]),
    );
  });

  it('is served without dropout and batch norm; the MLP is served exactly as described', () => {
    const served = servedArchitecture(smallCnn());
    expect(served.layers.some((l) => l.type === 'dropout' || 'batchNorm' in l)).toBe(false);
    expect(served.layers.filter((l) => l.type === 'conv2d')).toHaveLength(3);
    // The MLP's asset header must not change by a byte.
    expect(JSON.stringify(servedArchitecture(seedMlp()))).toBe(JSON.stringify(seedMlp()));
  });
});

describe('batch-norm folding and the served forward pass', () => {
  it('compute what the trained tfjs-layers model computes in inference mode', () => {
    const model = cnnWithNontrivialNorms();
    const count = 64;
    const pixels = pixelsOf(test, count);
    const expected = tf.tidy(() =>
      (model.predict(tf.tensor4d(pixels, [count, 28, 28, 1]).div(255)) as tf.Tensor).dataSync(),
    );
    const network = createNetwork(
      assetOf(smallCnn(), floatTensors(foldBatchNorm(smallCnn(), readWeights(model)))),
    );
    const served = network.predict(pixels, count);
    network.dispose();
    model.dispose();
    expect(served.length).toBe(count * CLASSES);
    served.forEach((p, i) => expect(Math.abs(p - expected[i]!)).toBeLessThan(1e-5));
  });

  it('round-trips through the asset format to the same predictions', async () => {
    const model = cnnWithNontrivialNorms();
    const tensors = quantizedTensors(foldBatchNorm(smallCnn(), readWeights(model)));
    model.dispose();
    const inMemory = assetOf(smallCnn(), tensors);
    const decoded = await decodeAsset(await encodeAsset(inMemory, tensors));
    expect(decoded.architecture).toEqual(servedArchitecture(smallCnn()));
    expect([...decoded.tensors.keys()]).toEqual([...tensors.keys()]);
    for (const [name, tensor] of tensors) expect(decoded.tensors.get(name)).toEqual(tensor);
    expect(decoded.tensors.get('conv2/kernel')).toMatchObject({
      dtype: 'int8',
      shape: [3, 3, 16, 32],
    });

    const predict = (asset: ModelAsset) => {
      const network = createNetwork(asset);
      const result = network.predict(pixelsOf(test, 32), 32);
      network.dispose();
      return result;
    };
    expect(predict(decoded)).toEqual(predict(inMemory));
  });
});

describe('augmentation', () => {
  const image = new Uint8Array(784);
  image[10 * 28 + 3] = 255; // one bright pixel at row 10, column 3
  const brightAt = (out: Float32Array) => out.findIndex((v) => v === 1);

  it('without augmentation copies the image scaled to [0, 1]', () => {
    const out = new Float32Array(784);
    writeImage(image, 0, out, 0);
    expect(brightAt(out)).toBe(10 * 28 + 3);
  });

  it('shifts within ±maxShift, mirrors about half the time, and fills vacated pixels with background', () => {
    const random = createRandom(1);
    const offsets = new Set<string>();
    let mirrored = 0;
    for (let i = 0; i < 400; i++) {
      const out = new Float32Array(784).fill(-1);
      writeImage(image, 0, out, 0, { maxShift: 2, flip: true }, random);
      expect(out.every((v) => v === 0 || v === 1)).toBe(true);
      const at = brightAt(out);
      const [row, column] = [Math.floor(at / 28), at % 28];
      const fromColumn = column <= 7 ? 3 : 24; // column 3, or its mirror image 24
      if (fromColumn === 24) mirrored++;
      offsets.add(`${row - 10},${column - fromColumn}`);
    }
    expect(offsets.size).toBe(25);
    for (const offset of offsets)
      expect(offset.split(',').every((d) => Math.abs(Number(d)) <= 2)).toBe(true);
    expect(mirrored).toBeGreaterThan(150);
    expect(mirrored).toBeLessThan(250);
  });
});

describe('CNN training', () => {
  it('computes the same loss and gradients on wasm (with the native kernels) as on cpu', async () => {
    const gradients = async (backend: 'cpu' | 'wasm') => {
      await useBackend(backend);
      seedMathRandom(3); // the same random draws (dropout masks, if any) on both backends
      const model = buildTrainableModel(smallCnn(), 3);
      const count = 4;
      const x = tf.tensor4d(pixelsOf(test, count), [count, 28, 28, 1]).div(255);
      const y = tf.oneHot(
        tf.tensor1d(Array.from(test.labels.subarray(0, count)), 'int32'),
        CLASSES,
      );
      const loss = () =>
        tf.mean(
          tf.metrics.categoricalCrossentropy(y, model.apply(x, { training: true }) as tf.Tensor),
        ) as tf.Scalar;
      const { value, grads } = tf.variableGrads(
        loss,
        model.trainableWeights.map((w) => w.read() as tf.Variable),
      );
      const result = [value, ...Object.values(grads)].map(
        (t) => t.dataSync().slice() as Float32Array,
      );
      tf.dispose([x, y, value, ...Object.values(grads)]);
      model.dispose();
      return result;
    };
    const cpu = await gradients('cpu');
    const wasm = await gradients('wasm');
    expect(wasm.length).toBe(cpu.length);
    wasm.forEach((values, k) => {
      const scale = Math.max(1e-3, ...Array.from(cpu[k]!, Math.abs));
      values.forEach((v, i) => expect(Math.abs(v - cpu[k]![i]!) / scale).toBeLessThan(1e-3));
    });
  }, 120_000);

  // A few steps on a small slice: enough to exercise batch norm, augmentation and the cosine schedule.
  const trainOnce = (seed: number) => {
    seedMathRandom(seed);
    const model = buildTrainableModel(smallCnn(), seed);
    const config = {
      epochs: 1,
      batchSize: 50,
      learningRate: 0.002,
      learningRateDecay: 1,
      validationSize: 100,
      seed,
      schedule: 'cosine',
      augmentation: { maxShift: 2, flip: true },
    } as const;
    const slice: ImageSet = {
      ...test,
      count: 400,
      images: test.images.subarray(0, 400 * 784),
      labels: test.labels.subarray(0, 400),
    };
    const result = trainModel(model, slice, config);
    const weights = readWeights(model);
    model.dispose();
    return { result, weights };
  };

  it('is reproducible bit for bit with a fixed seed, and a different seed gives different weights', () => {
    const first = trainOnce(11);
    const second = trainOnce(11);
    const other = trainOnce(12);
    expect(first.result.history[0]!.learningRate).toBe(0.002);
    for (const [name, weight] of first.weights) {
      expect(
        Buffer.from(second.weights.get(name)!.values.buffer).equals(
          Buffer.from(weight.values.buffer),
        ),
        name,
      ).toBe(true);
    }
    expect(
      Buffer.from(other.weights.get('conv2/kernel')!.values.buffer).equals(
        Buffer.from(first.weights.get('conv2/kernel')!.values.buffer),
      ),
    ).toBe(false);
  }, 120_000);
});

describe('the bundle manifest', () => {
  it('lists every asset in the directory by name, with the architecture kind as alias', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fmnist-manifest-'));
    const mlp = readFileSync('models/fashion-mnist-mlp.bin');
    const model = buildTrainableModel(smallCnn(), 1);
    const tensors = quantizedTensors(foldBatchNorm(smallCnn(), readWeights(model)));
    model.dispose();
    writeFileSync(join(dir, 'fashion-mnist-mlp.bin'), mlp);
    writeFileSync(
      join(dir, 'fashion-mnist-cnn.bin'),
      await encodeAsset(assetOf(smallCnn(), tensors), tensors),
    );
    await writeBundleManifest(dir);
    const manifest = readFileSync(join(dir, 'bundled.js'), 'utf8');
    expect(manifest).toContain("import asset0 from './fashion-mnist-cnn.bin';");
    expect(manifest).toContain("import asset1 from './fashion-mnist-mlp.bin';");
    expect(manifest).toContain('{ name: "fashion-mnist-cnn", alias: "cnn", bytes: asset0 }');
    expect(manifest).toContain('{ name: "fashion-mnist", alias: "mlp", bytes: asset1 }');
  });
});
