/**
 * One training run, reproducible from its seed: seeds Math.random (tfjs' initialisers draw from
 * it), starts the backend, trains, and reads the weights out with batch normalisation folded into
 * the kernels they follow, as the asset stores them.
 */
import type { Architecture } from '../classifier/architecture.ts';
import { useBackend, type TrainingBackend } from './backend.ts';
import type { ImageSet } from './data/index.ts';
import { foldBatchNorm, type FloatWeights } from './export.ts';
import { registerNativeKernels } from './kernel-overrides/index.ts';
import {
  trainModel,
  type TrainingConfig,
  type TrainingObserver,
  type TrainingResult,
} from './loop.ts';
import { buildTrainableModel, readWeights } from './model.ts';
import { seedMathRandom } from './random.ts';

/** What to train, how, and where to report it. */
export interface TrainingRun {
  name: string;
  architecture: Architecture;
  config: TrainingConfig;
  backend: TrainingBackend;
  log: (line: string) => void;
  observer?: TrainingObserver;
}

/** The trained weights (folded) and the run that produced them. */
export interface TrainedWeights {
  weights: FloatWeights;
  result: TrainingResult;
  /** Wall-clock training time. */
  seconds: number;
  /** CPU time of the training over all threads: more than `seconds` where the convnet's native kernels use several cores. */
  cpuSeconds: number;
}

/** Trains `run.architecture` on `train` from `run.config.seed`. */
export async function trainWeights(run: TrainingRun, train: ImageSet): Promise<TrainedWeights> {
  const { architecture, config, backend } = run;
  seedMathRandom(config.seed);
  await useBackend(backend);
  if (backend === 'wasm' && architecture.kind === 'cnn') registerNativeKernels();
  run.log(
    `Training ${run.name} (${architecture.kind}) on the tfjs ${backend} backend: ${config.epochs} epochs, batch ${config.batchSize}, seed ${config.seed}`,
  );
  const model = buildTrainableModel(architecture, config.seed);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const result = trainModel(model, train, config, run.observer);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const weights = foldBatchNorm(architecture, readWeights(model));
  model.dispose();
  return { weights, result, seconds, cpuSeconds };
}
