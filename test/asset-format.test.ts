import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { seedMlp } from '../classifier/architecture.ts';
import {
  AssetFormatError,
  FORMAT_VERSION,
  decodeAsset,
  dequantize,
  encodeAsset,
  quantizeInt8,
  type StoredTensor,
} from '../classifier/asset-format.ts';
import { FASHION_MNIST_LABELS } from '../classifier/labels.ts';
import { createRandom } from '../train/random.ts';

function randomValues(count: number, seed: number): Float32Array {
  const random = createRandom(seed);
  return Float32Array.from({ length: count }, () => (random() - 0.5) * 0.4);
}

function sampleTensors(): Map<string, StoredTensor> {
  return new Map<string, StoredTensor>([
    ['dense1/kernel', quantizeInt8(randomValues(784 * 128, 1), [784, 128])],
    ['dense1/bias', { dtype: 'float32', shape: [128], values: randomValues(128, 2) }],
    ['dense2/kernel', quantizeInt8(randomValues(128 * 10, 3), [128, 10])],
    ['dense2/bias', { dtype: 'float32', shape: [10], values: randomValues(10, 4) }],
  ]);
}

const description = {
  name: 'fashion-mnist',
  version: '1',
  architecture: seedMlp(),
  labels: [...FASHION_MNIST_LABELS],
  metadata: { metrics: { testAccuracy: 0.89 } },
};

describe('model asset format', () => {
  it('round-trips description and tensors exactly', async () => {
    const tensors = sampleTensors();
    const bytes = await encodeAsset(description, tensors);
    const asset = await decodeAsset(bytes);
    expect(asset.name).toBe('fashion-mnist');
    expect(asset.architecture).toEqual(seedMlp());
    expect(asset.labels).toEqual(FASHION_MNIST_LABELS);
    expect(asset.metadata).toEqual(description.metadata);
    expect([...asset.tensors.keys()]).toEqual([...tensors.keys()]);
    for (const [name, original] of tensors) {
      const decoded = asset.tensors.get(name)!;
      expect(decoded.dtype).toBe(original.dtype);
      expect(decoded.shape).toEqual(original.shape);
      expect(decoded.values).toEqual(original.values);
      if (original.dtype === 'int8' && decoded.dtype === 'int8')
        expect(decoded.scales).toEqual(original.scales);
    }
    expect(asset.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('is deterministic and about a quarter of float32 size', async () => {
    const a = await encodeAsset(description, sampleTensors());
    const b = await encodeAsset(description, sampleTensors());
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const float32Bytes = (784 * 128 + 128 + 128 * 10 + 10) * 4;
    expect(a.length).toBeLessThan(float32Bytes * 0.27);
  });

  it('decodes from a Node Buffer into independent tensor copies', async () => {
    const tensors = sampleTensors();
    const asset = await decodeAsset(Buffer.from(await encodeAsset(description, tensors)));
    expect(asset.tensors.get('dense2/kernel')!.values).toEqual(
      tensors.get('dense2/kernel')!.values,
    );
  });

  it('rejects a corrupted asset', async () => {
    const bytes = await encodeAsset(description, sampleTensors());
    bytes[bytes.length - 1000]! ^= 0x01;
    await expect(decodeAsset(bytes)).rejects.toThrow(/corrupt.*SHA-256/);
  });

  it('skips the digest check only when told the bytes were verified, still reporting their own digest', async () => {
    const bytes = await encodeAsset(description, sampleTensors());
    bytes[bytes.length - 1000]! ^= 0x01;
    const asset = await decodeAsset(bytes, { verifyDigest: false });
    expect(asset.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('rejects a wrong format version and a wrong magic', async () => {
    const bytes = await encodeAsset(description, sampleTensors());
    const otherVersion = bytes.slice();
    new DataView(otherVersion.buffer).setUint32(4, FORMAT_VERSION + 1, true);
    await expect(decodeAsset(otherVersion)).rejects.toThrow(
      new RegExp(`version ${FORMAT_VERSION + 1} is not supported`),
    );
    const otherMagic = bytes.slice();
    otherMagic[0] = 0x50;
    await expect(decodeAsset(otherMagic)).rejects.toBeInstanceOf(AssetFormatError);
    await expect(decodeAsset(new Uint8Array(10))).rejects.toThrow(/too short/);
  });

  it('quantizes per output channel within half a step of the original', () => {
    const values = randomValues(784 * 128, 5);
    const quantized = quantizeInt8(values, [784, 128]);
    if (quantized.dtype !== 'int8') throw new Error('expected int8');
    const restored = dequantize(quantized);
    let worstStepFraction = 0;
    for (let i = 0; i < values.length; i++) {
      worstStepFraction = Math.max(
        worstStepFraction,
        Math.abs(restored[i]! - values[i]!) / quantized.scales[i % 128]!,
      );
    }
    expect(worstStepFraction).toBeLessThanOrEqual(0.5 + 1e-4);
    expect(worstStepFraction).toBeGreaterThan(0.4);
  });
});
