/**
 * The build step: load and verify the data, train (unless the cached asset is current), evaluate
 * float and int8 weights on the test set, and write the asset with its model card. Each step lives
 * in its own module; this one puts them in order.
 */
import { dirname } from 'node:path';
import { servedArchitecture } from '../classifier/architecture.ts';
import { encodeAsset, type ModelDescription } from '../classifier/asset-format.ts';
import { FASHION_MNIST_LABELS } from '../classifier/labels.ts';
import { assembleCard } from './assemble-card.ts';
import { buildKey, isUpToDate, sha256Hex } from './cache.ts';
import { loadFashionMnist } from './data/index.ts';
import { writeBundleManifest } from './manifest.ts';
import type { ModelCard } from './model-card.ts';
import { cardPaths, writeBuildOutputs } from './outputs.ts';
import { quantizeAndEvaluate } from './quantize.ts';
import { trainWeights, type TrainingRun } from './train-weights.ts';

/** What to build and where. */
export interface BuildOptions extends TrainingRun {
  version: string;
  /** Path of the asset; the model card goes next to it as .json and .md. */
  outPath: string;
  dataDir?: string;
  /** Retrain even when the cached asset is current. */
  force?: boolean;
}

/** Runs the build; returns the card and whether a cached asset was reused. */
export async function buildModel(
  options: BuildOptions,
): Promise<{ card: ModelCard | undefined; reused: boolean }> {
  const { config, backend, outPath, log } = options;
  const data = await loadFashionMnist({ dataDir: options.dataDir, log });
  const key = buildKey({
    name: options.name,
    version: options.version,
    architecture: options.architecture,
    config,
    backend,
    data: data.digests,
  });
  if (!options.force && isUpToDate(outPath, cardPaths(outPath).json, key)) {
    log(
      `Model asset ${outPath} is up to date (data, training config and code unchanged); not retraining.`,
    );
    await writeBundleManifest(dirname(outPath));
    return { card: undefined, reused: true };
  }

  const trained = await trainWeights(options, data.train);
  const base: ModelDescription = {
    name: options.name,
    version: options.version,
    architecture: servedArchitecture(options.architecture),
    labels: [...FASHION_MNIST_LABELS],
    metadata: {},
  };
  const quantized = quantizeAndEvaluate(base, trained.weights, data.test);
  const { result } = trained;
  const validationAccuracy = result.history[result.bestEpoch - 1]!.validationAccuracy;
  const description: ModelDescription = {
    ...base,
    metadata: {
      metrics: {
        testAccuracy: quantized.int8Eval.accuracy,
        floatTestAccuracy: quantized.floatEval.accuracy,
        validationAccuracy,
      },
      training: { ...config, backend, bestEpoch: result.bestEpoch },
      data: { sha256: data.digests },
    },
  };
  const bytes = await encodeAsset(description, quantized.tensors);
  const asset = { path: outPath, bytes, sha256: sha256Hex(bytes) };
  const card = assembleCard({
    run: options,
    version: options.version,
    buildKey: key,
    data,
    trained,
    quantized,
    asset,
  });
  await writeBuildOutputs(outPath, bytes, card);
  return { card, reused: false };
}
