import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelAsset } from '../classifier/asset-format.ts';
import { useBackend } from '../train/backend.ts';
import { fileSha256 } from '../train/cache.ts';
import { loadFashionMnist, type FashionMnist } from '../train/data/index.ts';
import { evaluateAsset } from '../train/evaluate.ts';
import type { ModelCard } from '../train/model-card.ts';
import { readBuiltAsset } from './built-asset.ts';

// The asset `npm test` builds (or reuses) before running the suite: the one the Worker bundles.
const ASSET = 'models/fashion-mnist-mlp.bin';

describe('the built model asset, evaluated on the real test set', () => {
  let asset: ModelAsset;
  let card: ModelCard;
  let data: FashionMnist;

  beforeAll(async () => {
    ({ asset, card } = await readBuiltAsset(ASSET));
    data = await loadFashionMnist({ allowDownload: false });
    await useBackend('wasm');
  });

  it('is the asset the model card describes', () => {
    expect(fileSha256(ASSET)).toBe(card.asset.sha256);
    expect(asset.sha256).toBe(card.asset.sha256);
    expect(asset.tensors.get('dense1/kernel')?.dtype).toBe('int8');
    expect(asset.tensors.get('dense2/kernel')?.dtype).toBe('int8');
  });

  it('reaches the accuracy bar, and int8 stays within 0.1 pp of float', () => {
    const evaluation = evaluateAsset(asset, data.test);
    expect(evaluation.accuracy).toBe(card.test.int8Accuracy);
    expect((asset.metadata['metrics'] as { testAccuracy: number }).testAccuracy).toBe(
      evaluation.accuracy,
    );
    expect(card.test.floatAccuracy).toBeGreaterThanOrEqual(0.885);
    expect(Math.abs(evaluation.accuracy - card.test.floatAccuracy)).toBeLessThanOrEqual(0.001);
    const confusionTotal = evaluation.confusion.flat().reduce((a, b) => a + b, 0);
    expect(confusionTotal).toBe(10_000);
    expect(evaluation.confusion).toEqual(card.test.int8.confusion);
  });

  it('was selected on validation data held out of the training set, not on the test set', () => {
    expect(card.data.validationImages).toBeGreaterThan(0);
    expect(card.data.trainImages + card.data.validationImages).toBe(60_000);
    const best = card.training.history[card.training.bestEpoch - 1]!;
    expect(Math.max(...card.training.history.map((e) => e.validationAccuracy))).toBe(
      best.validationAccuracy,
    );
  });
});
