/**
 * The build step: load and verify the data, train (unless the cached asset is current), evaluate
 * float and int8 weights on the test set, and write the asset with its model card.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { servedArchitecture, type Architecture } from '../classifier/architecture.ts';
import { decodeAsset, encodeAsset, type ModelDescription, type StoredTensor } from '../classifier/asset-format.ts';
import { FASHION_MNIST_LABELS } from '../classifier/labels.ts';
import { useBackend, type TrainingBackend } from './backend.ts';
import { buildKey, isUpToDate } from './cache.ts';
import { registerNativeKernels } from './kernel-overrides/index.ts';
import { loadFashionMnist } from './data/index.ts';
import { evaluateAsset } from './evaluate.ts';
import { floatTensors, foldBatchNorm, quantizedTensors } from './export.ts';
import { writeBundleManifest } from './manifest.ts';
import { trainModel, type TrainingConfig, type TrainingObserver } from './loop.ts';
import { renderModelCard, type ModelCard } from './model-card.ts';
import { buildTrainableModel, readWeights } from './model.ts';
import { seedMathRandom } from './random.ts';

/** What to build and where. */
export interface BuildOptions {
  name: string;
  version: string;
  architecture: Architecture;
  config: TrainingConfig;
  backend: TrainingBackend;
  /** Path of the asset; the model card goes next to it as .json and .md. */
  outPath: string;
  dataDir?: string;
  /** Retrain even when the cached asset is current. */
  force?: boolean;
  log: (line: string) => void;
  observer?: TrainingObserver;
}

/** Paths of the model card files that accompany an asset. */
export function cardPaths(outPath: string): { json: string; markdown: string } {
  const stem = outPath.replace(/\.bin$/, '');
  return { json: `${stem}.json`, markdown: `${stem}.md` };
}

const elementCount = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** Runs the build; returns the card and whether a cached asset was reused. */
export async function buildModel(options: BuildOptions): Promise<{ card: ModelCard | undefined; reused: boolean }> {
  const { config, backend, outPath, log } = options;
  const data = await loadFashionMnist({ dataDir: options.dataDir, log });
  const key = buildKey({ name: options.name, version: options.version, architecture: options.architecture, config, backend, data: data.digests });
  const paths = cardPaths(outPath);
  if (!options.force && isUpToDate(outPath, paths.json, key)) {
    log(`Model asset ${outPath} is up to date (data, training config and code unchanged); not retraining.`);
    await writeBundleManifest(dirname(outPath));
    return { card: undefined, reused: true };
  }

  seedMathRandom(config.seed);
  await useBackend(backend);
  if (backend === 'wasm' && options.architecture.kind === 'cnn') registerNativeKernels();
  log(`Training ${options.name} (${options.architecture.kind}) on the tfjs ${backend} backend: ${config.epochs} epochs, batch ${config.batchSize}, seed ${config.seed}`);
  const model = buildTrainableModel(options.architecture, config.seed);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const result = trainModel(model, data.train, config, options.observer);
  const seconds = (performance.now() - started) / 1000;
  // Training is single-threaded: its CPU time is what it would take on an otherwise idle core.
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const weights = foldBatchNorm(options.architecture, readWeights(model));
  model.dispose();

  const base: ModelDescription = {
    name: options.name,
    version: options.version,
    architecture: servedArchitecture(options.architecture),
    labels: [...FASHION_MNIST_LABELS],
    metadata: {},
  };
  const inMemory = (tensors: Map<string, StoredTensor>) => ({ ...base, tensors, sha256: '' });
  const floatEval = evaluateAsset(inMemory(floatTensors(weights)), data.test);
  const quantized = quantizedTensors(weights);
  const int8Eval = evaluateAsset(inMemory(quantized), data.test);
  const validationAccuracy = result.history[result.bestEpoch - 1]!.validationAccuracy;

  const description: ModelDescription = {
    ...base,
    metadata: {
      metrics: { testAccuracy: int8Eval.accuracy, floatTestAccuracy: floatEval.accuracy, validationAccuracy },
      training: { ...config, backend, bestEpoch: result.bestEpoch },
      data: { sha256: data.digests },
    },
  };
  const bytes = await encodeAsset(description, quantized);
  const asset = await decodeAsset(bytes);
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, bytes);

  const parameters = [...weights.values()].reduce((sum, w) => sum + elementCount(w.shape), 0);
  const card: ModelCard = {
    name: options.name,
    version: options.version,
    architecture: describe(options.architecture),
    parameters,
    buildKey: key,
    asset: {
      file: basename(outPath),
      bytes: bytes.length,
      sha256: asset.sha256,
      float32Bytes: parameters * 4,
      quantization: 'int8 symmetric, one scale per output channel (kernels); float32 biases',
    },
    data: {
      source: data.directory,
      trainImages: data.train.count - config.validationSize,
      validationImages: config.validationSize,
      testImages: data.test.count,
      sha256: data.digests,
    },
    training: { ...config, backend, seconds, cpuSeconds, bestEpoch: result.bestEpoch, history: result.history },
    test: { floatAccuracy: floatEval.accuracy, int8Accuracy: int8Eval.accuracy, int8: int8Eval },
  };
  writeFileSync(paths.json, `${JSON.stringify(card, null, 2)}\n`);
  writeFileSync(paths.markdown, renderModelCard(card));
  await writeBundleManifest(dirname(outPath));
  return { card, reused: false };
}

/** The training architecture in one line, e.g. `Flatten(28x28) -> Dense(128, relu) -> Dense(10, softmax)`. */
function describe(architecture: Architecture): string {
  const layer = (l: Architecture['layers'][number]): string => {
    const norm = 'batchNorm' in l && l.batchNorm ? ' + BatchNorm' : '';
    switch (l.type) {
      case 'flatten':
        return architecture.kind === 'mlp' ? `Flatten(${architecture.inputShape.join('x')})` : 'Flatten';
      case 'dense':
        return `Dense(${l.units}${norm}, ${l.activation})`;
      case 'conv2d':
        return `Conv2D(${l.filters}, ${l.kernelSize}x${l.kernelSize} ${l.padding}${norm}, ${l.activation})`;
      case 'maxPool2d':
        return `MaxPool(${l.poolSize}x${l.poolSize})`;
      case 'dropout':
        return `Dropout(${l.rate})`;
    }
  };
  const input = architecture.kind === 'mlp' ? [] : [`Input(${architecture.inputShape.join('x')})`];
  return [...input, ...architecture.layers.map(layer)].join(' -> ');
}
