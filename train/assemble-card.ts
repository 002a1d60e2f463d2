/**
 * Assembles the model card of a finished build from what each step produced: the training run,
 * the quantized tensors' evaluations, the encoded asset and the data it was trained on.
 */
import { basename } from 'node:path';
import type { Architecture } from '../classifier/architecture.ts';
import type { FashionMnist } from './data/index.ts';
import type { ModelCard } from './model-card.ts';
import type { Quantized } from './quantize.ts';
import type { TrainedWeights, TrainingRun } from './train-weights.ts';

/** Everything the card is made from. */
export interface CardInputs {
  run: TrainingRun;
  version: string;
  buildKey: string;
  data: FashionMnist;
  trained: TrainedWeights;
  quantized: Quantized;
  /** The asset as written, its path and the hex SHA-256 of its bytes. */
  asset: { path: string; bytes: Uint8Array; sha256: string };
}

const elementCount = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** The card of a build. */
export function assembleCard({
  run,
  version,
  buildKey,
  data,
  trained,
  quantized,
  asset,
}: CardInputs): ModelCard {
  const { config, backend } = run;
  const { floatEval, int8Eval } = quantized;
  const parameters = [...trained.weights.values()].reduce(
    (sum, w) => sum + elementCount(w.shape),
    0,
  );
  return {
    name: run.name,
    version,
    architecture: describe(run.architecture),
    parameters,
    buildKey,
    asset: {
      file: basename(asset.path),
      bytes: asset.bytes.length,
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
    training: {
      ...config,
      backend,
      seconds: trained.seconds,
      cpuSeconds: trained.cpuSeconds,
      bestEpoch: trained.result.bestEpoch,
      history: trained.result.history,
    },
    test: { floatAccuracy: floatEval.accuracy, int8Accuracy: int8Eval.accuracy, int8: int8Eval },
  };
}

/** The training architecture in one line, e.g. `Flatten(28x28) -> Dense(128, relu) -> Dense(10, softmax)`. */
function describe(architecture: Architecture): string {
  const layer = (l: Architecture['layers'][number]): string => {
    const norm = 'batchNorm' in l && l.batchNorm ? ' + BatchNorm' : '';
    switch (l.type) {
      case 'flatten':
        return architecture.kind === 'mlp'
          ? `Flatten(${architecture.inputShape.join('x')})`
          : 'Flatten';
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
